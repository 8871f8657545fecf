#pragma once

// Overwriting secrets before their memory goes back to the allocator, so a key or an API token
// does not linger in freed heap pages (and from there in a core dump or a swapped-out page).
// Best effort by nature: copies made by libraries (the YAML parser, libcurl) and the process
// environment are out of reach.

#include <string.h>  // explicit_bzero: a write the compiler may not drop as dead

#include <string>

namespace riskbridge {

/// Zeroes every byte `s`'s buffer holds, its whole capacity (so also what an earlier, longer
/// value left behind, and the inline buffer of a short string), then leaves `s` empty.
template <class Char, class Traits, class Alloc>
void wipe(std::basic_string<Char, Traits, Alloc>& s) noexcept {
    s.resize(s.capacity());  // within the capacity: never allocates, so never throws
    explicit_bzero(s.data(), s.size() * sizeof(Char));
    s.clear();
}

}  // namespace riskbridge
