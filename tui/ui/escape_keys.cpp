#include "tui/ui/escape_keys.hpp"

#include <charconv>
#include <vector>

namespace tacit::ui {

namespace {

constexpr char32_t kEsc = 0x1b;

bool parameter_byte(char32_t c) { return c >= 0x30 && c <= 0x3f; }
bool intermediate_byte(char32_t c) { return c >= 0x20 && c <= 0x2f; }
bool final_byte(char32_t c) { return c >= 0x40 && c <= 0x7e; }

// xterm's modifier parameter (1 = none) applied to a key.
Key with_modifier(Key k, int mod) {
    if (mod < 2) return k;
    const int bits = mod - 1;
    k.alt = (bits & 2) != 0;
    k.ctrl = (bits & 4) != 0;
    return k;
}

// Arrow-like finals shared by CSI and SS3: A-D, H, F.
KeyCode cursor_code(char32_t final) {
    switch (final) {
        case 'A': return KeyCode::Up;
        case 'B': return KeyCode::Down;
        case 'C': return KeyCode::Right;
        case 'D': return KeyCode::Left;
        case 'H': return KeyCode::Home;
        case 'F': return KeyCode::End;
        default: return KeyCode::None;
    }
}

// "CSI n ~" (vt220, linux console, rxvt and screen's keys).
KeyCode tilde_code(int n) {
    switch (n) {
        case 1:
        case 7: return KeyCode::Home;
        case 4:
        case 8: return KeyCode::End;
        case 3: return KeyCode::Delete;
        case 5: return KeyCode::PageUp;
        case 6: return KeyCode::PageDown;
        default: return KeyCode::None;
    }
}

// Semicolon-separated decimal parameters; empty fields are 0. False when
// anything but digits and ';' is present (private markers, intermediates).
bool numbers(std::string_view s, std::vector<int>* out) {
    out->clear();
    size_t i = 0;
    for (;;) {
        size_t j = s.find(';', i);
        std::string_view f = s.substr(i, j == std::string_view::npos ? s.npos : j - i);
        int v = 0;
        if (!f.empty()) {
            auto [p, ec] = std::from_chars(f.data(), f.data() + f.size(), v);
            if (ec != std::errc() || p != f.data() + f.size() || v > 0xFFFF) return false;
        }
        out->push_back(v);
        if (j == std::string_view::npos) return true;
        i = j + 1;
    }
}

// A character with modifiers, from "CSI code ; m u" or xterm's
// modifyOtherKeys "CSI 27 ; m ; code ~".
Key char_key(int code, int mod) {
    if (code == 9) return with_modifier(Key::special(KeyCode::Tab), mod);
    if (code == 13) return with_modifier(Key::special(KeyCode::Enter), mod);
    if (code == 27) return with_modifier(Key::special(KeyCode::Escape), mod);
    if (code == 127 || code == 8) return with_modifier(Key::special(KeyCode::Backspace), mod);
    if (code < 32 || (code >= 0xD800 && code <= 0xDFFF)) return {};
    Key k = with_modifier(Key::chr(static_cast<char32_t>(code)), mod);
    if (k.ctrl && code >= 'A' && code <= 'Z') k.ch = static_cast<char32_t>(code - 'A' + 'a');
    return k;
}

}  // namespace

Key csi_key(std::string_view params, char32_t final) {
    std::vector<int> n;
    if (!numbers(params, &n)) return {};
    const int p1 = n[0] ? n[0] : 1;
    const int mod = n.size() > 1 ? n[1] : 1;
    if (KeyCode c = cursor_code(final); c != KeyCode::None) return with_modifier(Key::special(c), mod);
    if (final == 'Z' && params.empty()) return Key::special(KeyCode::BackTab);
    if (final == 'u') return char_key(n[0], mod);
    if (final == '~' && n[0] == 27 && n.size() == 3) return char_key(n[2], mod);
    // rxvt puts its modifiers in the final byte: ~ none, ^ ctrl, $ shift, @ both.
    if (final == '~' || final == '^' || final == '$' || final == '@') {
        KeyCode c = tilde_code(p1);
        if (c == KeyCode::None || (final == '~' && n.size() > 2)) return {};
        Key k = with_modifier(Key::special(c), final == '~' ? mod : 1);
        if (final == '^' || final == '@') k.ctrl = true;
        return k;
    }
    return {};
}

Key terminfo_key(std::string_view name) {
    // "k" + key + xterm modifier digit: kLFT5 is Ctrl-Left, kHOM3 Alt-Home.
    struct Base { std::string_view name; KeyCode code; };
    static constexpr Base kBases[] = {
        {"kLFT", KeyCode::Left}, {"kRIT", KeyCode::Right}, {"kUP", KeyCode::Up},   {"kDN", KeyCode::Down},
        {"kHOM", KeyCode::Home}, {"kEND", KeyCode::End},   {"kDC", KeyCode::Delete},
        {"kPRV", KeyCode::PageUp}, {"kNXT", KeyCode::PageDown},
    };
    for (const auto& b : kBases) {
        if (name.size() != b.name.size() + 1 || name.substr(0, b.name.size()) != b.name) continue;
        const char d = name.back();
        if (d < '2' || d > '8') return {};
        return with_modifier(Key::special(b.code), d - '0');
    }
    return {};
}

EscapeParser::Step EscapeParser::done(Key k, bool unused) {
    key_ = k;
    unused_ = unused;
    return Step::Done;
}

EscapeParser::Step EscapeParser::feed(char32_t c) {
    if (++length_ > kMaxLength) return done({});
    switch (state_) {
        case State::Start:
            if (c == '[') { state_ = State::Csi; return Step::More; }
            if (c == 'O') { state_ = State::Ss3; return Step::More; }
            if (c == 127 || c == 8) return done(with_modifier(Key::special(KeyCode::Backspace), 3));
            if (c >= 32 && c != 127) {
                Key k = Key::chr(c);
                k.alt = true;
                return done(k);
            }
            // ESC ESC, ESC Enter...: a plain Esc, then that key on its own.
            return done(Key::special(KeyCode::Escape), true);
        case State::Csi:
            // The linux console's F1-F5 are "ESC [ [ A".."ESC [ [ E".
            if (c == '[' && params_.empty()) { state_ = State::CsiLinux; return Step::More; }
            if (parameter_byte(c) || intermediate_byte(c)) {
                // rxvt ends Shift+key with '$', an intermediate byte in ECMA-48.
                if (c == '$' && !params_.empty()) return done(csi_key(params_, c));
                params_ += static_cast<char>(c);
                return Step::More;
            }
            if (final_byte(c)) return done(csi_key(params_, c));
            // A control character cuts the sequence short: drop it, keep c.
            return done({}, c == kEsc || c < 32 || c == 127);
        case State::CsiLinux: return done({});
        case State::Ss3:
            if (c >= '0' && c <= '9') {  // old xterm: "ESC O 5 D"
                params_ += static_cast<char>(c);
                return Step::More;
            }
            if (!final_byte(c)) {
                if (params_.empty()) {  // "ESC O" then Enter: Alt-O, then Enter
                    Key k = Key::chr('O');
                    k.alt = true;
                    return done(k, true);
                }
                return done({}, true);
            }
            if (KeyCode code = cursor_code(c); code != KeyCode::None) {
                std::vector<int> n;
                const int mod = numbers(params_, &n) ? n[0] : 0;
                return done(with_modifier(Key::special(code), mod));
            }
            // rxvt's Ctrl+arrows are SS3 a..d.
            if (c >= 'a' && c <= 'd') {
                Key k = Key::special(cursor_code(static_cast<char32_t>(c - 'a' + 'A')));
                k.ctrl = true;
                return done(k);
            }
            if (c == 'M') return done(Key::special(KeyCode::Enter));  // keypad Enter
            return done({});
    }
    return done({});
}

Key EscapeParser::finish() const {
    Key k;
    switch (state_) {
        case State::Start: return Key::special(KeyCode::Escape);
        case State::Csi:
            if (!params_.empty()) return {};
            k = Key::chr('[');
            break;
        case State::Ss3:
            if (!params_.empty()) return {};
            k = Key::chr('O');
            break;
        case State::CsiLinux: return {};
    }
    k.alt = true;
    return k;
}

}  // namespace tacit::ui
