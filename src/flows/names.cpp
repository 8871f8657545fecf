#include "riskbridge/flows/names.hpp"

#include <algorithm>
#include <array>
#include <vector>

#include "riskbridge/core/text.hpp"

namespace riskbridge::flows {

namespace {

/// The length of a whitespace sequence at `i` (ASCII blanks, U+00A0, U+2000-U+200B, U+202F,
/// U+205F, U+3000, U+FEFF), 0 when there is none.
std::size_t space_at(std::string_view s, std::size_t i) {
    const auto b = [&](std::size_t k) {
        return k < s.size() ? static_cast<unsigned char>(s[k]) : 0U;
    };
    const unsigned char c = b(i);
    if (c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' || c == '\v') {
        return 1;
    }
    if (c == 0xC2 && b(i + 1) == 0xA0) {
        return 2;
    }
    if (c == 0xE2 && b(i + 1) == 0x80 && (b(i + 2) <= 0x8B || b(i + 2) == 0xAF)) {
        return b(i + 2) >= 0x80 ? 3 : 0;
    }
    if (c == 0xE2 && b(i + 1) == 0x81 && b(i + 2) == 0x9F) {
        return 3;
    }
    if (c == 0xE3 && b(i + 1) == 0x80 && b(i + 2) == 0x80) {
        return 3;
    }
    if (c == 0xEF && b(i + 1) == 0xBB && b(i + 2) == 0xBF) {
        return 3;
    }
    return 0;
}

std::vector<std::string> words(std::string_view s) {
    std::vector<std::string> out;
    std::string cur;
    for (std::size_t i = 0; i < s.size();) {
        if (const std::size_t n = space_at(s, i); n > 0) {
            if (!cur.empty()) {
                out.push_back(std::move(cur));
                cur.clear();
            }
            i += n;
            continue;
        }
        cur.push_back(s[i]);
        ++i;
    }
    if (!cur.empty()) {
        out.push_back(std::move(cur));
    }
    return out;
}

/// A word without the dots and commas around it, lower-cased: "Jr.," -> "jr".
std::string bare(std::string_view w) {
    std::string out;
    for (char c : w) {
        if (c != '.' && c != ',') {
            out.push_back(c);
        }
    }
    return to_lower(out);  // ASCII letters only: UTF-8 sequences pass through untouched
}

bool is_suffix(std::string_view w) {
    static constexpr std::array<std::string_view, 16> suffixes{
        "jr",  "sr",  "ii",  "iii", "iv",  "phd", "md",  "esq",
        "dds", "dvm", "cpa", "mba", "jnr", "snr", "2nd", "3rd"};
    const std::string b = bare(w);
    return std::find(suffixes.begin(), suffixes.end(), b) != suffixes.end();
}

bool is_title(std::string_view w) {
    static constexpr std::array<std::string_view, 9> titles{"mr", "mrs",  "ms",  "miss", "mx",
                                                            "dr", "prof", "sir", "dame"};
    const std::string b = bare(w);
    return std::find(titles.begin(), titles.end(), b) != titles.end();
}

bool is_particle(std::string_view w) {
    static constexpr std::array<std::string_view, 27> particles{
        "van", "von", "der",   "den",  "de", "del", "della", "di",  "da",
        "dos", "das", "do",    "du",   "la", "le",  "les",   "zu",  "ten",
        "ter", "bin", "binti", "bint", "al", "el",  "st",    "ben", "los"};
    const std::string b = bare(w);
    return std::find(particles.begin(), particles.end(), b) != particles.end();
}

/// The words [from, to) of `w` (clamped to its size), a space between them.
std::string join_words(const std::vector<std::string>& w, std::size_t from, std::size_t to) {
    to = std::min(to, w.size());
    if (from >= to) {
        return {};
    }
    return join(std::vector<std::string>(w.begin() + static_cast<std::ptrdiff_t>(from),
                                         w.begin() + static_cast<std::ptrdiff_t>(to)),
                " ");
}

std::string trim_commas(std::string w) {
    while (!w.empty() && w.back() == ',') {
        w.pop_back();
    }
    return w;
}

/// Drops suffix words from the end of `w` (collecting them) and title words from the front.
void strip_affixes(std::vector<std::string>& w, std::string& suffix) {
    while (w.size() > 1 && is_suffix(w.back())) {
        suffix = suffix.empty() ? trim_commas(w.back()) : trim_commas(w.back()) + " " + suffix;
        w.pop_back();
    }
    while (w.size() > 1 && is_title(w.front())) {
        w.erase(w.begin());
    }
}

/// "Ludwig van der Berg" -> given Ludwig, family "van der Berg".
void split_words(std::vector<std::string> w, person_name& out) {
    if (w.empty()) {
        return;
    }
    if (w.size() == 1) {
        out.given = w.front();
        return;
    }
    std::size_t family_from = w.size() - 1;
    while (family_from > 1 && is_particle(w[family_from - 1])) {
        --family_from;
    }
    out.given = w.front();
    out.middle = join_words(w, 1, family_from);
    out.family = join_words(w, family_from, w.size());
}

}  // namespace

person_name split_name(std::string_view full_name) {
    person_name out;
    // "Last, First": split on commas, after dropping the parts that are only suffixes.
    std::vector<std::vector<std::string>> parts;
    std::string_view rest = full_name;
    while (true) {
        const std::size_t comma = rest.find(',');
        auto part = words(rest.substr(0, comma));
        if (!part.empty()) {
            parts.push_back(std::move(part));
        }
        if (comma == std::string_view::npos) {
            break;
        }
        rest.remove_prefix(comma + 1);
    }
    std::vector<std::vector<std::string>> kept;
    for (std::size_t i = 0; i < parts.size(); ++i) {
        const bool only_suffixes =
            i > 0 && std::all_of(parts[i].begin(), parts[i].end(),
                                 [](const std::string& w) { return is_suffix(w); });
        if (only_suffixes) {
            const std::string s = join_words(parts[i], 0, parts[i].size());
            out.suffix = out.suffix.empty() ? s : out.suffix + " " + s;
        } else {
            kept.push_back(parts[i]);
        }
    }
    if (kept.empty()) {
        return out;
    }
    if (kept.size() == 1) {
        std::vector<std::string> w = kept.front();
        std::string suffix;
        strip_affixes(w, suffix);
        if (!suffix.empty()) {
            out.suffix = out.suffix.empty() ? suffix : suffix + " " + out.suffix;
        }
        split_words(std::move(w), out);
        return out;
    }
    // Family name first: "van der Berg, Ludwig Maria" or "Smith Jr., John".
    std::vector<std::string> family = kept[0];
    std::string suffix;
    strip_affixes(family, suffix);
    std::vector<std::string> given;
    for (std::size_t i = 1; i < kept.size(); ++i) {
        given.insert(given.end(), kept[i].begin(), kept[i].end());
    }
    strip_affixes(given, suffix);
    if (!suffix.empty()) {
        out.suffix = out.suffix.empty() ? suffix : suffix + " " + out.suffix;
    }
    out.family = join_words(family, 0, family.size());
    if (!given.empty()) {
        out.given = given.front();
        out.middle = join_words(given, 1, given.size());
    }
    return out;
}

}  // namespace riskbridge::flows
