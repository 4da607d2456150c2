#include <catch2/catch.hpp>

#include "tui/ui/sanitize.hpp"
#include "tui/ui/utf8.hpp"

using tacit::ui::sanitize;

namespace {
// No C0, DEL or C1 control may survive, whatever the input.
bool has_control(const std::string& s, bool allow_newline = false) {
    for (size_t i = 0; i < s.size();) {
        auto d = tacit::ui::decode_next(s, i);
        i += d.len;
        if (d.cp == '\n' && allow_newline) continue;
        if (d.cp < 0x20 || (d.cp >= 0x7F && d.cp <= 0x9F)) return true;
    }
    return false;
}
}  // namespace

TEST_CASE("sanitize passes ordinary text through", "[ui][sanitize]") {
    CHECK(sanitize("hello, world") == "hello, world");
    CHECK(sanitize("日本語 😀 e\u0301") == "日本語 😀 e\u0301");
    CHECK(sanitize("") == "");
}

TEST_CASE("sanitize renders escape sequences visibly", "[ui][sanitize]") {
    CHECK(sanitize("\x1b[2J") == "^[[2J");
    CHECK(sanitize("\x1b]0;title\x07") == "^[]0;title^G");
    CHECK(sanitize("\xc2\x9b" "31m") == "<U+009B>31m");  // 8-bit CSI
    CHECK(sanitize("a\x7f" "b") == "a^?b");
    CHECK(sanitize(std::string("a\0b", 3)) == "a^@b");
    CHECK(sanitize("tab\there") == "tab^Ihere");
    for (const char* s : {"\x1b[2J", "\x1b]0;title\x07", "\xc2\x9b", "\x1bP+q\x1b\\", "\r\x08\x0e\x0f"}) {
        std::string out = sanitize(s);
        CHECK_FALSE(has_control(out));
        CHECK(tacit::ui::valid_utf8(out));
    }
}

TEST_CASE("sanitize newlines only on request", "[ui][sanitize]") {
    CHECK(sanitize("a\nb") == "a^Jb");
    CHECK(sanitize("a\nb", true) == "a\nb");
    CHECK(sanitize("a\r\nb", true) == "a\nb");
    CHECK(sanitize("a\rb", true) == "a^Mb");
}

TEST_CASE("sanitize shows bidi overrides", "[ui][sanitize]") {
    CHECK(sanitize("abc\u202Eevil") == "abc<U+202E>evil");
    CHECK(sanitize("\u2066x\u2069") == "<U+2066>x<U+2069>");
    CHECK(sanitize("\u202A\u202B\u202C\u202D") == "<U+202A><U+202B><U+202C><U+202D>");
}

TEST_CASE("sanitize shows invisible characters and stray joiners", "[ui][sanitize]") {
    CHECK(sanitize("zero\u200Bwidth") == "zero<U+200B>width");
    CHECK(sanitize("bom\uFEFFhere") == "bom<U+FEFF>here");
    CHECK(sanitize("a\u200Eb\u200Fc\u061Cd") == "a<U+200E>b<U+200F>c<U+061C>d");
    // U+200D stays only inside an emoji ZWJ sequence (UAX #29 GB11).
    const std::string family = "\U0001F468\u200D\U0001F469\u200D\U0001F467";
    const std::string rainbow = "\U0001F3F3\uFE0F\u200D\U0001F308";
    const std::string astronaut = "\U0001F469\U0001F3FD\u200D\U0001F680";  // skin tone before the ZWJ
    CHECK(sanitize(family) == family);
    CHECK(sanitize(rainbow) == rainbow);
    CHECK(sanitize(astronaut) == astronaut);
    CHECK(sanitize("join\u200Dme") == "join<U+200D>me");
    CHECK(sanitize("\U0001F468\u200D") == "\U0001F468<U+200D>");
    CHECK(sanitize("\u200D\U0001F468") == "<U+200D>\U0001F468");
    CHECK(sanitize("\u4E2D\u200D\u4E2D") == "\u4E2D<U+200D>\u4E2D");
    CHECK(sanitize("\U0001F468\u200D\u200D\U0001F469") == "\U0001F468<U+200D><U+200D>\U0001F469");
    // A mark with no base gets the dotted circle, at the start and after a line break.
    CHECK(sanitize("\u0301x") == "\u25CC\u0301x");
    CHECK(sanitize("a\n\u0301", true) == "a\n\u25CC\u0301");
    CHECK(sanitize("a\u0301") == "a\u0301");
    for (const std::string& s : {family, rainbow, std::string("\u0301\u200D\U0001F468\u200B"), std::string("x\n\uFE0F")}) {
        std::string once = sanitize(s, true);
        CHECK(sanitize(once, true) == once);
    }
}

TEST_CASE("sanitize replaces invalid UTF-8", "[ui][sanitize]") {
    CHECK(sanitize("a\xff" "b") == "a\uFFFDb");
    CHECK(sanitize("\xc0\x80") == "\uFFFD\uFFFD");             // overlong NUL
    CHECK(sanitize("\xc0\x9b") == "\uFFFD\uFFFD");             // overlong ESC
    CHECK(sanitize("\xed\xa0\x80") == "\uFFFD\uFFFD\uFFFD");   // surrogate
    CHECK(sanitize("\xf4\x90\x80\x80").find("\uFFFD") == 0);   // > U+10FFFF
    CHECK(sanitize("\xe6\x97") == "\uFFFD\uFFFD");             // truncated
    // Every byte value, alone and after a lead byte: output always clean.
    for (int b = 0; b < 256; ++b) {
        std::string in{static_cast<char>(b)};
        std::string in2 = std::string("\xe2") + static_cast<char>(b) + "\x1b";
        for (const auto& s : {in, in2}) {
            std::string out = sanitize(s, true);
            CHECK_FALSE(has_control(out, true));
            CHECK(tacit::ui::valid_utf8(out));
        }
    }
}
