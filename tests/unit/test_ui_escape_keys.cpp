#include <catch2/catch.hpp>

#include <string_view>

#include "tui/ui/escape_keys.hpp"

using namespace tacit::ui;

namespace {
// Feeds what follows the ESC; the key once the parser is done, or what
// finish() makes of it when it still wants more. *rest: bytes not fed.
Key parse(std::u32string_view s, size_t* fed = nullptr, bool* unused = nullptr) {
    EscapeParser p;
    for (size_t i = 0; i < s.size(); ++i) {
        if (p.feed(s[i]) == EscapeParser::Step::Done) {
            if (fed) *fed = i + 1;
            if (unused) *unused = p.unused();
            return p.key();
        }
    }
    if (fed) *fed = s.size();
    if (unused) *unused = false;
    return p.finish();
}

bool is(const Key& k, KeyCode c, bool ctrl = false, bool alt = false) {
    return k.code == c && k.ctrl == ctrl && k.alt == alt;
}
}  // namespace

TEST_CASE("escape keys: Home and End in every form", "[ui][keys]") {
    for (auto s : {U"[1~", U"[7~", U"[H", U"OH"}) CHECK(is(parse(s), KeyCode::Home));
    for (auto s : {U"[4~", U"[8~", U"[F", U"OF"}) CHECK(is(parse(s), KeyCode::End));
    CHECK(is(parse(U"[3~"), KeyCode::Delete));
    CHECK(is(parse(U"[5~"), KeyCode::PageUp));
    CHECK(is(parse(U"[6~"), KeyCode::PageDown));
    CHECK(is(parse(U"[Z"), KeyCode::BackTab));
}

TEST_CASE("escape keys: modifiers", "[ui][keys]") {
    CHECK(is(parse(U"[1;5D"), KeyCode::Left, true));
    CHECK(is(parse(U"[1;5C"), KeyCode::Right, true));
    CHECK(is(parse(U"[1;3D"), KeyCode::Left, false, true));
    CHECK(is(parse(U"[1;7C"), KeyCode::Right, true, true));
    CHECK(is(parse(U"[1;2H"), KeyCode::Home));  // shift alone changes nothing
    CHECK(is(parse(U"O5D"), KeyCode::Left, true));   // old xterm
    CHECK(is(parse(U"Od"), KeyCode::Left, true));    // rxvt
    CHECK(is(parse(U"Oc"), KeyCode::Right, true));
    CHECK(is(parse(U"[7^"), KeyCode::Home, true));   // rxvt Ctrl-Home
    CHECK(is(parse(U"[8$"), KeyCode::End));          // rxvt Shift-End
    CHECK(is(parse(U"[3;5~"), KeyCode::Delete, true));
    Key k = parse(U"[98;5u");  // CSI u: Ctrl-b
    CHECK(k.is_ctrl('b'));
    k = parse(U"[27;3;102~");  // modifyOtherKeys: Alt-f
    CHECK(k.is_alt('f'));
}

TEST_CASE("escape keys: Alt and Esc", "[ui][keys]") {
    CHECK(parse(U"b").is_alt('b'));
    CHECK(parse(U"f").is_alt('f'));
    CHECK(parse(U"1").is_alt('1'));
    CHECK(is(parse(U""), KeyCode::Escape));
    CHECK(parse(U"[").is_alt('['));  // nothing followed in time
    CHECK(parse(U"O").is_alt('O'));
    CHECK(is(parse(U"\x7f"), KeyCode::Backspace, false, true));
    size_t fed = 0;
    bool unused = false;
    CHECK(is(parse(U"\r", &fed, &unused), KeyCode::Escape));  // Esc, then Enter on its own
    CHECK(unused);
    CHECK(is(parse(U"\x1b[A", &fed, &unused), KeyCode::Escape));
    CHECK(fed == 1);
    CHECK(unused);
}

TEST_CASE("escape keys: unknown sequences are dropped whole", "[ui][keys]") {
    for (std::u32string_view s : {U"[2~", U"[15~", U"[24;5~", U"[200~", U"[?1;2c", U"[<0;10;5M", U"[I", U"[O",
                                  U"OP", U"[1;5X", U"[12;34;56;78q", U"[ A"}) {
        size_t fed = 0;
        bool unused = true;
        Key k = parse(s, &fed, &unused);
        CAPTURE(std::string(s.begin(), s.end()));
        CHECK(k.code == KeyCode::None);
        CHECK(fed == s.size());  // nothing of it is left to be typed
        CHECK_FALSE(unused);
    }
    size_t fed = 0;
    CHECK(parse(U"[[A", &fed).code == KeyCode::None);  // linux console F1
    CHECK(fed == 3);
    CHECK(parse(U"[1;5").code == KeyCode::None);  // cut short by the timeout
    bool unused = false;
    CHECK(parse(U"[12\r", &fed, &unused).code == KeyCode::None);  // cut short by Enter
    CHECK(unused);
    std::u32string endless(200, U'1');
    endless = U"[" + endless;
    CHECK(parse(endless, &fed).code == KeyCode::None);
    CHECK(fed == EscapeParser::kMaxLength + 1);
}

TEST_CASE("terminfo extended key names", "[ui][keys]") {
    CHECK(is(terminfo_key("kLFT5"), KeyCode::Left, true));
    CHECK(is(terminfo_key("kRIT5"), KeyCode::Right, true));
    CHECK(is(terminfo_key("kRIT3"), KeyCode::Right, false, true));
    CHECK(is(terminfo_key("kHOM5"), KeyCode::Home, true));
    CHECK(is(terminfo_key("kDC5"), KeyCode::Delete, true));
    CHECK(terminfo_key("kLFT").code == KeyCode::None);
    CHECK(terminfo_key("kLFT9").code == KeyCode::None);
    CHECK(terminfo_key("kxIN").code == KeyCode::None);
}
