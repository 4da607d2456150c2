// ASCII-only case folding, for what is ASCII by definition (URL schemes,
// command names being completed); locale-free, so no environment changes it.
#pragma once
#include <cstddef>
#include <string_view>

namespace tacit::ui {

inline char ascii_lower(char c) { return (c >= 'A' && c <= 'Z') ? static_cast<char>(c - 'A' + 'a') : c; }

inline bool starts_with_nocase(std::string_view s, std::string_view prefix) {
    if (prefix.size() > s.size()) return false;
    for (std::size_t i = 0; i < prefix.size(); ++i)
        if (ascii_lower(s[i]) != ascii_lower(prefix[i])) return false;
    return true;
}

}  // namespace tacit::ui
