#include <catch2/catch.hpp>

#include "tui/ui/line_editor.hpp"
#include "tui/ui/width.hpp"

using namespace tacit::ui;

TEST_CASE("editor inserts and moves by grapheme", "[ui][editor]") {
    ensure_utf8_locale();
    LineEditor e;
    e.insert("a日e\u0301😀");
    CHECK(e.text() == "a日e\u0301😀");
    CHECK(e.cursor_byte() == e.text().size());
    CHECK(e.cursor_column() == 6);
    e.left();  // over the emoji
    CHECK(e.cursor_byte() == 7);
    CHECK(e.cursor_column() == 4);
    e.left();  // over e + combining acute, as one
    CHECK(e.cursor_byte() == 4);
    e.left();
    CHECK(e.cursor_byte() == 1);
    e.right();
    CHECK(e.cursor_byte() == 4);
    e.home();
    CHECK(e.cursor_byte() == 0);
    e.left();
    CHECK(e.cursor_byte() == 0);
    e.end();
    CHECK(e.cursor_byte() == e.text().size());
    e.right();
    CHECK(e.cursor_byte() == e.text().size());
}

TEST_CASE("editor deletes", "[ui][editor]") {
    LineEditor e;
    e.insert("x日y");
    e.left();
    e.backspace();  // removes the whole 3-byte character
    CHECK(e.text() == "xy");
    CHECK(e.cursor_byte() == 1);
    e.del();
    CHECK(e.text() == "x");
    e.del();
    CHECK(e.text() == "x");
    e.home();
    e.backspace();
    CHECK(e.text() == "x");
}

TEST_CASE("editor kill keys", "[ui][editor]") {
    LineEditor e;
    e.insert("hello big world");
    REQUIRE(e.handle_key(Key::ctrl_key('w')));
    CHECK(e.text() == "hello big ");
    e.insert("  ");
    e.handle_key(Key::ctrl_key('w'));  // trailing spaces, then the word
    CHECK(e.text() == "hello ");
    e.handle_key(Key::ctrl_key('y'));  // yank it back
    CHECK(e.text() == "hello big   ");
    e.set_text("héllo wörld");
    e.handle_key(Key::ctrl_key('a'));
    CHECK(e.cursor_byte() == 0);
    e.right();
    e.right();
    e.handle_key(Key::ctrl_key('k'));
    CHECK(e.text() == "hé");
    e.insert("llo");
    e.left();
    e.handle_key(Key::ctrl_key('u'));
    CHECK(e.text() == "o");
    CHECK(e.cursor_byte() == 0);
    e.handle_key(Key::ctrl_key('e'));
    CHECK(e.cursor_byte() == 1);
}

TEST_CASE("editor cleans pasted text", "[ui][editor]") {
    LineEditor e;
    e.insert("line1\nline2\tx\x1b[31m\x07\xff");
    CHECK(e.text() == "line1 line2 x[31m\uFFFD");
    e.clear();
    e.set_max_bytes(5);
    CHECK_FALSE(e.insert("ab日本"));  // 8 bytes: refused whole, never cut short
    CHECK(e.text().empty());
    CHECK(e.insert("ab日"));  // exactly 5 fits
    CHECK(e.text() == "ab日");
    CHECK_FALSE(e.insert("z"));
    CHECK(e.text() == "ab日");
}

TEST_CASE("editor history keeps the draft", "[ui][editor]") {
    LineEditor e;
    e.insert("first");
    CHECK(e.submit() == "first");
    e.insert("second");
    e.submit();
    e.insert("draft");
    e.handle_key(Key::special(KeyCode::Up));
    CHECK(e.text() == "second");
    e.history_prev();
    CHECK(e.text() == "first");
    e.history_prev();
    CHECK(e.text() == "first");
    e.history_next();
    CHECK(e.text() == "second");
    e.handle_key(Key::special(KeyCode::Down));
    CHECK(e.text() == "draft");
    e.history_next();
    CHECK(e.text() == "draft");
    CHECK(e.submit() == "draft");
    CHECK(e.history().size() == 3);
    e.insert("draft");
    e.submit();  // duplicate of the last entry is not stored twice
    CHECK(e.history().size() == 3);
}

TEST_CASE("editor horizontal scroll keeps the cursor visible", "[ui][editor]") {
    LineEditor e;
    std::string s;
    for (int i = 0; i < 50; ++i) s += static_cast<char>('a' + i % 26);
    e.insert(s);
    auto v = e.visible(10);
    CHECK(display_width(v.text) <= 10);
    CHECK(v.cursor_col >= 0);
    CHECK(v.cursor_col < 10);
    e.home();
    v = e.visible(10);
    CHECK(v.cursor_col == 0);
    CHECK(v.text == "abcdefghij");
    e.set_text("日本語日本語日本語");
    for (int i = 0; i < 9; ++i) {
        v = e.visible(7);
        CHECK(display_width(v.text) <= 7);
        CHECK(v.cursor_col >= 0);
        CHECK(v.cursor_col < 7);
        e.left();
    }
    e.clear();
    e.insert("short");
    v = e.visible(10);
    CHECK(v.text == "short");
    CHECK(v.cursor_col == 5);
}

TEST_CASE("editor tab completion", "[ui][editor]") {
    const std::vector<std::string> names = {"alice", "albert", "bob"};
    LineEditor e;
    e.insert("al");
    REQUIRE(e.complete(names));
    CHECK(e.text() == "albert: ");
    REQUIRE(e.complete(names));  // cycles
    CHECK(e.text() == "alice: ");
    REQUIRE(e.complete(names));
    CHECK(e.text() == "albert: ");
    e.insert("hi B");
    REQUIRE(e.complete(names));  // case-insensitive, mid-line suffix is a space
    CHECK(e.text() == "albert: hi bob ");
    e.clear();
    e.insert("zz");
    CHECK_FALSE(e.complete(names));
    CHECK(e.text() == "zz");
    e.clear();
    CHECK_FALSE(e.complete(names));  // nothing typed

    e.insert("/ms");
    CHECK(e.completing_command());
    REQUIRE(e.complete({"/msg", "/mute", "/quit"}));
    CHECK(e.text() == "/msg ");
    CHECK_FALSE(e.completing_command());
    e.insert("a");
    CHECK(e.word_before_cursor() == "a");
}

TEST_CASE("editor word motion: Alt-B, Alt-F, Ctrl-Left, Ctrl-Right", "[ui][editor]") {
    LineEditor e;
    e.insert("one  twö three");
    Key ctrl_left = Key::special(KeyCode::Left);
    ctrl_left.ctrl = true;
    Key ctrl_right = Key::special(KeyCode::Right);
    ctrl_right.ctrl = true;
    REQUIRE(e.handle_key(Key::alt_key('b')));
    CHECK(e.cursor_byte() == 10);  // start of "three"
    REQUIRE(e.handle_key(ctrl_left));
    CHECK(e.cursor_byte() == 5);  // start of "twö", over two spaces
    e.handle_key(Key::alt_key('b'));
    CHECK(e.cursor_byte() == 0);
    e.handle_key(Key::alt_key('b'));
    CHECK(e.cursor_byte() == 0);
    REQUIRE(e.handle_key(Key::alt_key('f')));
    CHECK(e.cursor_byte() == 3);  // end of "one"
    REQUIRE(e.handle_key(ctrl_right));
    CHECK(e.cursor_byte() == 9);  // end of "twö" (ö is two bytes)
    e.handle_key(ctrl_right);
    CHECK(e.cursor_byte() == e.text().size());
    e.handle_key(Key::alt_key('f'));
    CHECK(e.cursor_byte() == e.text().size());
    CHECK(e.text() == "one  twö three");
}

TEST_CASE("editor: blank lines stay out of the history", "[ui][editor]") {
    LineEditor e;
    e.insert("   ");
    CHECK(e.submit() == "   ");
    CHECK(e.history().empty());
    e.insert("\u3000\u00a0 ");
    e.submit();
    CHECK(e.history().empty());
    e.insert(" x ");
    e.submit();
    CHECK(e.history().size() == 1);
}

TEST_CASE("editor: Tab cycles through every match", "[ui][editor]") {
    LineEditor e;
    const std::vector<std::string> names{"#ops2", "#ops", "#dev", "olga"};
    e.insert("/query #o");
    REQUIRE(e.complete(names));
    CHECK(e.text() == "/query #ops ");
    REQUIRE(e.complete(names));
    CHECK(e.text() == "/query #ops2 ");
    REQUIRE(e.complete(names));
    CHECK(e.text() == "/query #ops ");
    e.clear();
    e.insert("#o");  // a group at the start of a line is not addressed "#ops: "
    e.complete(names);
    CHECK(e.text() == "#ops ");
    e.clear();
    e.insert("ol");
    e.complete(names);
    CHECK(e.text() == "olga: ");
}
