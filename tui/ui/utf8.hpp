// UTF-8 code point iteration. Strict decoding (no overlongs, surrogates or
// values past U+10FFFF) so that nothing the network sends can smuggle a
// control character past the sanitizer in a disguised encoding.
#pragma once
#include <cstddef>
#include <string>
#include <string_view>

namespace tacit::ui {

inline constexpr char32_t kReplacement = U'\uFFFD';

struct Decoded {
    char32_t cp = 0;   // kReplacement when !valid
    size_t len = 0;    // bytes consumed; >= 1 whenever pos < size
    bool valid = false;
};

// Decodes the code point starting at byte pos. An invalid sequence consumes
// one byte, so iteration always advances and resynchronises.
Decoded decode_next(std::string_view s, size_t pos);

// Bytes of the code point at pos (1 for an invalid byte, 0 at the end).
size_t cp_length(std::string_view s, size_t pos);

// Start of the code point before pos (pos itself if pos == 0).
size_t prev_cp_start(std::string_view s, size_t pos);

void append_utf8(std::string& out, char32_t cp);

// True if every byte of s is part of a valid sequence.
bool valid_utf8(std::string_view s);

// True if s holds nothing but white space: tabs, line breaks and the
// space separators (Unicode category Zs). Such a line is not a message.
bool blank(std::string_view s);

}  // namespace tacit::ui
