#pragma once

// Splitting the one `name` Ashby keeps into the given and family names RiskOS asks for.
//
// Rules, in order:
//   - whitespace (ASCII, no-break and ideographic spaces) is collapsed and trimmed;
//   - "Last, First Middle" (a comma) puts what precedes the comma in the family name, unless
//     what follows the comma is only suffixes ("John Smith, Jr.");
//   - suffixes (Jr., Sr., II, III, IV, PhD, MD, Esq., ...) and leading titles (Mr., Ms., Dr.,
//     ...) are dropped and reported in `suffix`/nowhere;
//   - the family name is the last word plus the particles before it ("van der Berg",
//     "de la Cruz", "dos Santos"), never the first word;
//   - the given name is the first word; the words in between are the middle name;
//   - a single word is a given name only (family_name stays empty and is reported missing when
//     required); letters outside ASCII are kept as they are (UTF-8 is never split).
// Nothing here throws on any input.

#include <string>
#include <string_view>

namespace riskbridge::flows {

struct person_name {
    std::string given;
    std::string middle;
    std::string family;
    std::string suffix;  ///< e.g. "Jr." (as written)
};

person_name split_name(std::string_view full_name);

}  // namespace riskbridge::flows
