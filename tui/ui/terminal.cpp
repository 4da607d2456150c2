#include "tui/ui/terminal.hpp"

#include <curses.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include <array>
#include <cstdlib>
#include <cstring>
#include <stdexcept>

#include "tui/ui/escape_keys.hpp"
#include "tui/ui/utf8.hpp"
#include "tui/ui/width.hpp"

namespace tacit::ui {

namespace {

// ncurses learns of a resize from SIGWINCH, and one sent before its handler
// was installed (a window resized while tacit starts) is lost; in the
// logged-in screen the session's signalfd takes SIGWINCH instead, and its
// handler only reads. So the real size is compared on every read, at the
// cost of one ioctl.
bool missed_resize() {
    winsize ws{};
    if (::ioctl(STDOUT_FILENO, TIOCGWINSZ, &ws) != 0 || ws.ws_row == 0 || ws.ws_col == 0) return false;
    if (ws.ws_row == LINES && ws.ws_col == COLS) return false;
    return resizeterm(ws.ws_row, ws.ws_col) == OK;
}

// Codes for the bracketed-paste markers (define_key needs values that fit
// ncurses' unsigned short key tries and clash with no KEY_*).
constexpr int kPasteBegin = 0x7F00;
constexpr int kPasteEnd = 0x7F01;
// A paste larger than a message can be is refused (the input line says so).
// (A message body is at most 64 KiB, tacit-protocol(7); shared/protocol.hpp
// can't be included after curses.h, whose OK and ERR are macros.)
constexpr size_t kMaxPaste = 64 * 1024;
constexpr int kEscapeWaitMs = 50;

struct Spec {
    short fg256, bg256;
    short fg8, bg8;
    attr_t color_attrs;  // with colours
    attr_t mono_attrs;   // without
};

constexpr short D = -1;  // the terminal's default colour

// Indexed by Style.
const std::array<Spec, static_cast<size_t>(Style::kCount)> kSpecs = {{
    {D, D, D, D, A_NORMAL, A_NORMAL},                                    // Normal
    {244, D, D, D, A_NORMAL, A_DIM},                                     // Dim
    {244, D, COLOR_CYAN, D, A_NORMAL, A_NORMAL},                         // Time
    {D, D, D, D, A_BOLD, A_BOLD},                                        // Nick (hues below)
    {D, D, D, D, A_BOLD, A_BOLD | A_UNDERLINE},                          // OwnNick
    {71, D, COLOR_GREEN, D, A_NORMAL, A_NORMAL},                         // Verified
    {203, D, COLOR_RED, D, A_BOLD, A_BOLD},                              // Unverified
    {109, D, COLOR_CYAN, D, A_NORMAL, A_DIM},                            // System
    {232, 220, COLOR_BLACK, COLOR_YELLOW, A_BOLD, A_REVERSE | A_BOLD},   // Mention
    {203, D, COLOR_RED, D, A_BOLD, A_BOLD},                              // Error
    {252, 236, COLOR_WHITE, COLOR_BLUE, A_NORMAL, A_REVERSE},            // Bar
    {245, 236, COLOR_CYAN, COLOR_BLUE, A_NORMAL, A_REVERSE},             // BarDim
    {114, 236, COLOR_GREEN, COLOR_BLUE, A_BOLD, A_REVERSE},              // BarGood
    {203, 236, COLOR_WHITE, COLOR_RED, A_BOLD, A_REVERSE | A_BOLD},      // BarAlert
    {221, 236, COLOR_YELLOW, COLOR_BLUE, A_BOLD, A_REVERSE | A_BOLD},    // BarActivity
    {213, 236, COLOR_WHITE, COLOR_MAGENTA, A_BOLD, A_REVERSE | A_BOLD | A_UNDERLINE},  // BarMention
    {250, 238, COLOR_WHITE, COLOR_BLUE, A_NORMAL, A_BOLD | A_UNDERLINE}, // Header
    {232, 110, COLOR_BLACK, COLOR_CYAN, A_BOLD, A_REVERSE | A_BOLD},     // HeaderFocus
    {255, 24, D, D, A_BOLD, A_BOLD | A_UNDERLINE},                       // Active (8: reverse, below)
    {232, 152, COLOR_BLACK, COLOR_CYAN, A_NORMAL, A_REVERSE},            // Cursor
    {221, D, COLOR_YELLOW, D, A_BOLD, A_BOLD},                           // Unread
    {213, D, COLOR_MAGENTA, D, A_BOLD, A_BOLD | A_UNDERLINE},            // Highlight
    {240, D, D, D, A_NORMAL, A_DIM},                                     // Muted
    {71, D, COLOR_GREEN, D, A_NORMAL, A_BOLD},                           // Online
    {110, D, COLOR_CYAN, D, A_BOLD, A_BOLD},                             // Prompt
    {240, D, COLOR_BLUE, D, A_NORMAL, A_NORMAL},                         // Separator
}};

const std::array<short, kNickHues> kHues256 = {75, 114, 215, 176, 80, 186};
const std::array<short, kNickHues> kHues8 = {COLOR_GREEN, COLOR_CYAN, COLOR_MAGENTA,
                                             COLOR_YELLOW, COLOR_BLUE, COLOR_RED};

bool ascii_terminal() {
    const char* t = std::getenv("TERM");
    if (!t) return true;
    return std::strncmp(t, "linux", 5) == 0 || std::strncmp(t, "vt", 2) == 0 ||
           std::strncmp(t, "cons", 4) == 0 || std::strcmp(t, "dumb") == 0;
}

Key translate_char(wint_t ch) {
    switch (ch) {
        case '\r':
        case '\n': return Key::special(KeyCode::Enter);
        case '\t': return Key::special(KeyCode::Tab);
        case 127:
        case 8: return Key::special(KeyCode::Backspace);
        case 27: return Key::special(KeyCode::Escape);
        default: break;
    }
    if (ch >= 1 && ch <= 26) return Key::ctrl_key(static_cast<char>('a' + ch - 1));
    if (ch < 32) return {};
    return Key::chr(static_cast<char32_t>(ch));
}

Key translate_code(wint_t code) {
    switch (code) {
        case KEY_ENTER: return Key::special(KeyCode::Enter);
        case KEY_BACKSPACE: return Key::special(KeyCode::Backspace);
        case KEY_DC: return Key::special(KeyCode::Delete);
        case KEY_LEFT: return Key::special(KeyCode::Left);
        case KEY_RIGHT: return Key::special(KeyCode::Right);
        case KEY_UP: return Key::special(KeyCode::Up);
        case KEY_DOWN: return Key::special(KeyCode::Down);
        case KEY_HOME: return Key::special(KeyCode::Home);
        case KEY_END: return Key::special(KeyCode::End);
        case KEY_PPAGE: return Key::special(KeyCode::PageUp);
        case KEY_NPAGE: return Key::special(KeyCode::PageDown);
        case KEY_BTAB: return Key::special(KeyCode::BackTab);
        case KEY_RESIZE: return Key::special(KeyCode::Resize);
        case KEY_SLEFT: return Key::special(KeyCode::Left);
        case KEY_SRIGHT: return Key::special(KeyCode::Right);
        case KEY_SHOME: return Key::special(KeyCode::Home);
        case KEY_SEND: return Key::special(KeyCode::End);
        default: break;
    }
    // Codes past KEY_MAX are terminfo's extended keys (kLFT5 is Ctrl-Left).
    const char* name = code > KEY_MAX ? keyname(static_cast<int>(code)) : nullptr;
    return name ? terminfo_key(name) : Key{};
}

void write_all(std::string_view s) {
    while (!s.empty()) {
        ssize_t n = ::write(STDOUT_FILENO, s.data(), s.size());
        if (n <= 0) return;  // the tty is gone; nothing useful to do
        s.remove_prefix(static_cast<size_t>(n));
    }
}

}  // namespace

ColorMode choose_color_mode(std::string_view colors, bool no_color_env, int terminal_colors) {
    if (colors == "no") return ColorMode::None;
    if (no_color_env && colors != "yes") return ColorMode::None;
    if (terminal_colors >= 256) return ColorMode::Full;
    if (terminal_colors >= 8) return ColorMode::Basic;
    return ColorMode::None;
}

struct Terminal::Impl {
    SCREEN* screen = nullptr;
    WINDOW* keys = nullptr;  // a pad: wget_wch on a pad never refreshes a window
    bool in_paste = false;
    std::string paste;
    size_t paste_size = 0;  // bytes pasted so far, kept past kMaxPaste
    std::array<attr_t, static_cast<size_t>(Style::kCount)> attrs{};
    std::array<attr_t, kNickHues> hues{};
};

Terminal::Terminal(const std::string& colors) : impl_(std::make_unique<Impl>()) {
    ensure_utf8_locale();
    if (!::isatty(STDIN_FILENO) || !::isatty(STDOUT_FILENO))
        throw std::runtime_error("the full-screen client needs a terminal (use --batch for scripts)");
    const char* term = std::getenv("TERM");
    if (!term || !*term) throw std::runtime_error("TERM is not set");
    impl_->screen = newterm(nullptr, stdout, stdin);
    if (!impl_->screen) throw std::runtime_error(std::string("unknown terminal type ") + term);
    set_term(impl_->screen);
    raw();  // Ctrl-C, Ctrl-Z, Ctrl-S reach us as keys
    noecho();
    nonl();
    set_escdelay(50);  // long enough for a key sequence over ssh, short for Esc
    impl_->keys = newpad(1, 1);
    keypad(impl_->keys, TRUE);
    nodelay(impl_->keys, TRUE);
    define_key("\x1b[200~", kPasteBegin);
    define_key("\x1b[201~", kPasteEnd);
    curs_set(1);
    wnoutrefresh(stdscr);  // stdscr stays blank and untouched under the panels

    const char* nc = std::getenv("NO_COLOR");
    const bool no_color = nc && *nc;
    int available = 0;
    bool defaults = false;
    if (choose_color_mode(colors, no_color, 256) != ColorMode::None && has_colors() && start_color() == OK) {
        defaults = use_default_colors() == OK;
        available = COLORS;
    }
    mode_ = choose_color_mode(colors, no_color, available);
    glyphs_ = ascii_terminal() ? Glyphs::ascii() : Glyphs::unicode();

    const short dfg = defaults ? D : COLOR_WHITE, dbg = defaults ? D : COLOR_BLACK;
    auto fix = [&](short c, short dflt) { return c == D ? dflt : c; };
    for (size_t i = 0; i < kSpecs.size(); ++i) {
        const Spec& s = kSpecs[i];
        if (mode_ == ColorMode::None) {
            impl_->attrs[i] = s.mono_attrs;
            continue;
        }
        short fg = mode_ == ColorMode::Full ? s.fg256 : s.fg8;
        short bg = mode_ == ColorMode::Full ? s.bg256 : s.bg8;
        attr_t extra = s.color_attrs;
        // 8 colours: the active window is marked by reverse video instead.
        if (mode_ == ColorMode::Basic && static_cast<Style>(i) == Style::Active) extra = A_BOLD | A_REVERSE;
        if (mode_ == ColorMode::Basic && static_cast<Style>(i) == Style::Dim) extra = A_DIM;
        if (mode_ == ColorMode::Basic && static_cast<Style>(i) == Style::Muted) extra = A_DIM;
        short pair = static_cast<short>(i + 1);
        init_pair(pair, fix(fg, dfg), fix(bg, dbg));
        impl_->attrs[i] = COLOR_PAIR(pair) | extra;
    }
    for (int h = 0; h < kNickHues; ++h) {
        if (mode_ == ColorMode::None) {
            impl_->hues[static_cast<size_t>(h)] = A_BOLD;
            continue;
        }
        short pair = static_cast<short>(static_cast<int>(Style::kCount) + 1 + h);
        short fg = mode_ == ColorMode::Full ? kHues256[static_cast<size_t>(h)] : kHues8[static_cast<size_t>(h)];
        init_pair(pair, fg, dbg);
        impl_->hues[static_cast<size_t>(h)] = COLOR_PAIR(pair) | (mode_ == ColorMode::Basic ? A_BOLD : A_NORMAL);
    }
    write_all("\x1b[?2004h");  // bracketed paste: a paste arrives as one piece
}

Terminal::~Terminal() {
    write_all("\x1b[?2004l");
    if (impl_->keys) delwin(impl_->keys);
    endwin();
    delscreen(impl_->screen);
}

// The rest of a sequence that ncurses did not recognise (see escape_keys.hpp).
// Its bytes are normally all there already; a short wait covers a sequence
// split over two reads (ssh), and a lone Esc costs no more than that wait.
std::optional<Key> Terminal::read_escape() {
    EscapeParser p;
    std::optional<Key> out;
    wtimeout(impl_->keys, kEscapeWaitMs);
    for (;;) {
        wint_t c = 0;
        const int r = wget_wch(impl_->keys, &c);
        if (r == ERR) {
            out = p.finish();
            break;
        }
        if (r == KEY_CODE_YES) {
            // A key ncurses knows: after a bare ESC it is Alt+key; inside a
            // sequence the sequence is cut short and dropped.
            if (c == static_cast<wint_t>(kPasteBegin) || c == static_cast<wint_t>(kPasteEnd)) {
                ungetch(static_cast<int>(c));
                out = p.finish();
                break;
            }
            Key k = translate_code(c);
            if (p.at_start() && k.code != KeyCode::Resize) k.alt = true;
            out = k;
            break;
        }
        if (p.feed(static_cast<char32_t>(c)) == EscapeParser::Step::Done) {
            if (p.unused()) unget_wch(static_cast<wchar_t>(c));
            out = p.key();
            break;
        }
    }
    nodelay(impl_->keys, TRUE);
    if (out->code == KeyCode::None) return std::nullopt;
    return out;
}

std::optional<Input> Terminal::read() {
    if (missed_resize()) return Input{Key::special(KeyCode::Resize), false, {}, 0};
    for (;;) {
        wint_t ch = 0;
        int r = wget_wch(impl_->keys, &ch);
        if (r == ERR) return std::nullopt;
        if (r == KEY_CODE_YES) {
            if (ch == static_cast<wint_t>(kPasteBegin)) {
                impl_->in_paste = true;
                impl_->paste.clear();
                impl_->paste_size = 0;
                continue;
            }
            if (ch == static_cast<wint_t>(kPasteEnd)) {
                impl_->in_paste = false;
                Input in;
                in.is_paste = true;
                in.paste_size = impl_->paste_size;
                // An oversized paste is refused whole, never cut short.
                if (impl_->paste_size <= kMaxPaste) in.text = std::move(impl_->paste);
                impl_->paste.clear();
                return in;
            }
            Key k = translate_code(ch);
            if (impl_->in_paste) {
                if (k.code == KeyCode::Enter) add_to_paste('\n');
                if (k.code != KeyCode::Resize) continue;
            }
            if (k.code == KeyCode::None) continue;
            return Input{k, false, {}, 0};
        }
        if (impl_->in_paste) {
            add_to_paste(ch == '\r' ? '\n' : static_cast<char32_t>(ch));
            continue;
        }
        if (ch == 27) {
            if (auto k = read_escape()) return Input{*k, false, {}, 0};
            continue;  // an unknown sequence, dropped whole
        }
        Key k = translate_char(ch);
        if (k.code == KeyCode::None) continue;
        return Input{k, false, {}, 0};
    }
}

void Terminal::add_to_paste(char32_t c) {
    std::string b;
    append_utf8(b, c);
    impl_->paste_size += b.size();
    if (impl_->paste_size <= kMaxPaste) impl_->paste += b;
}

int Terminal::rows() const { return LINES; }
int Terminal::cols() const { return COLS; }

unsigned long Terminal::attr(Style s, int hue) const {
    if (s == Style::Nick && hue >= 0 && hue < kNickHues) return impl_->hues[static_cast<size_t>(hue)];
    size_t i = static_cast<size_t>(s);
    return i < impl_->attrs.size() ? impl_->attrs[i] : A_NORMAL;
}

void Terminal::bell() { beep(); }

void Terminal::write_raw(std::string_view bytes) { write_all(bytes); }

void Terminal::force_repaint() { clearok(curscr, TRUE); }

}  // namespace tacit::ui
