#include <catch2/catch.hpp>

#include "tui/ui/utf8.hpp"
#include "tui/ui/width.hpp"

using namespace tacit::ui;

namespace {
std::string without_spaces(std::string_view s) {
    std::string out;
    for (char c : s)
        if (c != ' ') out += c;
    return out;
}
}  // namespace

TEST_CASE("code point helpers", "[ui][width]") {
    std::string s = "a日😀";
    CHECK(cp_length(s, 0) == 1);
    CHECK(cp_length(s, 1) == 3);
    CHECK(cp_length(s, 4) == 4);
    CHECK(cp_length(s, 8) == 0);
    auto d = decode_next(s, 4);
    CHECK(d.valid);
    CHECK(d.cp == U'\U0001F600');
    CHECK(prev_cp_start(s, 8) == 4);
    CHECK(prev_cp_start(s, 4) == 1);
    CHECK(prev_cp_start("a\x80", 2) == 1);  // stray continuation byte
    std::string out;
    append_utf8(out, U'\u00E9');
    CHECK(out == "\xc3\xa9");
}

TEST_CASE("display widths", "[ui][width]") {
    REQUIRE(ensure_utf8_locale());
    CHECK(display_width("") == 0);
    CHECK(display_width("hello") == 5);
    CHECK(display_width("日本語") == 6);
    CHECK(display_width("😀") == 2);
    CHECK(display_width("e\u0301") == 1);
    CHECK(display_width("a\xff") == 2);  // U+FFFD is one cell
}

TEST_CASE("graphemes keep combining marks", "[ui][width]") {
    std::string s = "ae\u0301b";
    CHECK(next_grapheme(s, 1) == 4);
    CHECK(prev_grapheme(s, 4) == 1);
    CHECK(prev_grapheme(s, 5) == 4);
}

TEST_CASE("wrap keeps lines within width and loses nothing", "[ui][width]") {
    const std::vector<std::string> texts = {
        "the quick brown fox jumps over the lazy dog",
        "supercalifragilisticexpialidocious is long",
        "日本語のテキストを折り返す 😀😀😀 emoji",
        "cafe\u0301 cafe\u0301 cafe\u0301 cafe\u0301",
        "a  b   c    d",
        "x",
        "",
    };
    for (const auto& t : texts) {
        for (int w = 1; w <= 12; ++w) {
            auto lines = wrap(t, w);
            std::string joined;
            for (const auto& l : lines) {
                CHECK(display_width(l) <= w);
                CHECK(valid_utf8(l));
                joined += l;
            }
            if (w >= 2) CHECK(without_spaces(joined) == without_spaces(t));
        }
    }
}

TEST_CASE("wrap breaks on spaces and at hard newlines", "[ui][width]") {
    CHECK(wrap("hello world", 8) == std::vector<std::string>{"hello", "world"});
    CHECK(wrap("hello world", 11) == std::vector<std::string>{"hello world"});
    CHECK(wrap("abcdefghij", 4) == std::vector<std::string>{"abcd", "efgh", "ij"});
    CHECK(wrap("a\nb", 10) == std::vector<std::string>{"a", "b"});
    CHECK(wrap("", 5) == std::vector<std::string>{""});
    // A wide character never straddles the edge.
    CHECK(wrap("a日本", 4) == std::vector<std::string>{"a日", "本"});
    CHECK(wrap("日本語", 5) == std::vector<std::string>{"日本", "語"});
    // A combining mark stays with its base.
    CHECK(wrap("abe\u0301", 2) == std::vector<std::string>{"ab", "e\u0301"});
}

TEST_CASE("truncate_to_width", "[ui][width]") {
    CHECK(truncate_to_width("hello", 10) == "hello");
    CHECK(truncate_to_width("hello world", 5) == "hello");
    CHECK(truncate_to_width("hello world", 6, true) == "hello\u2026");
    CHECK(truncate_to_width("日本語", 5) == "日本");
    CHECK(truncate_to_width("日本語", 4, true) == "日\u2026");
    CHECK(display_width(truncate_to_width("日本語", 4, true)) <= 4);
    CHECK(truncate_to_width("abc", 0) == "");
    CHECK(pad_to_width("ab", 4) == "ab  ");
    CHECK(pad_to_width("日本語", 5) == "日本 ");
}
