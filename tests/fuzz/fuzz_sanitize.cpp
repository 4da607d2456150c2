// libFuzzer target for the terminal-safety of untrusted text
// (tui/ui/sanitize.hpp, tui/ui/width.hpp). Byte 0: bit 0 keeps newlines,
// the rest is the wrap width. sanitize() must give valid UTF-8 with no byte
// below 0x20 except '\n' (when kept), no DEL, no C1 control and no bidi
// override, and U+200D only inside an emoji ZWJ sequence; wrap() and
// truncate_to_width() must keep that and fit the width.
#include <cstdlib>
#include <string>
#include <string_view>

#include "tui/ui/graphemes.hpp"
#include "tui/ui/sanitize.hpp"
#include "tui/ui/utf8.hpp"
#include "tui/ui/width.hpp"

using namespace tacit::ui;

namespace {

void check(bool ok) {
    if (!ok) std::abort();
}

void check_safe(std::string_view s, bool newlines_ok) {
    check(valid_utf8(s));
    for (unsigned char ch : s) {
        check(ch != 0x1B && ch != 0x7F);
        check(ch >= 0x20 || (newlines_ok && ch == '\n'));
    }
    char32_t base = 0;  // the last code point that was not a grapheme Extend
    for (size_t i = 0; i < s.size();) {
        Decoded d = decode_next(s, i);
        check(d.valid);
        check(!is_unsafe_cp(d.cp) || (newlines_ok && d.cp == '\n'));
        i += d.len;
        if (d.cp == 0x200D) {
            check(is_extended_pictographic(base));
            check(i < s.size() && is_extended_pictographic(decode_next(s, i).cp));
        }
        if (!is_grapheme_extend(d.cp)) base = d.cp;
    }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    if (size == 0) return 0;
    bool keep = data[0] & 1;
    int width = (data[0] >> 1) % 100;  // 0..99; below 1 counts as 1
    std::string_view in(reinterpret_cast<const char*>(data + 1), size - 1);

    std::string s = sanitize(in, keep);
    check_safe(s, keep);
    // Sanitizing is idempotent on its own output.
    check(sanitize(s, keep) == s);

    for (auto& line : wrap(s, width)) {
        check_safe(line, false);
        check(display_width(line) <= std::max(width, 1));
    }
    std::string t = truncate_to_width(s, width, (data[0] & 2) != 0);
    check(valid_utf8(t));
    check(display_width(t) <= std::max(width, 0));
    std::string p = pad_to_width(sanitize(in, false), width);
    check_safe(p, false);
    check(display_width(p) == std::max(width, 0));
    return 0;
}
