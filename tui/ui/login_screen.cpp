#include "tui/ui/login_screen.hpp"

#include <memory>
#include <optional>

#include "shared/net.hpp"
#include "shared/protocol.hpp"
#include "tui/ui/card.hpp"
#include "tui/ui/login_form.hpp"
#include "tui/ui/width.hpp"

namespace tacit::ui {

namespace {

void header(Card& c, const std::string& what) {
    Row r;
    r.add("tacit", Style::Prompt).add("  " + what, Style::Dim);
    c.rows.push_back(std::move(r.fit(c.width)));
    c.blank();
}

// "label     [field      ]", the field drawn in the cursor style when focused.
Row field_row(std::string_view label, const std::string& shown, bool focused, int width) {
    Row r;
    const int field_w = std::max(4, width - 11);
    r.add(pad_to_width(label, 10) + " ", focused ? Style::Prompt : Style::Normal);
    r.add(pad_to_width(shown, field_w), focused ? Style::Cursor : Style::Header);
    return r.fit(width);
}

// Shows the card with one message until any key; false if that key quits.
bool notice(Terminal& t, CardScreen& s, const std::string& title, const std::string& text, bool can_retry) {
    for (;;) {
        Card c;
        c.begin(t);
        header(c, title);
        c.para(text, Style::Error);
        c.blank();
        c.line(can_retry ? "r: try again    q: quit" : "q: quit", Style::Dim);
        s.show(c);
        auto in = wait_input(t, -1);
        if (!in || in->is_paste) continue;
        const Key& k = in->key;
        if (k.code == KeyCode::Resize) continue;
        if (k.is_ctrl('c') || (k.is_plain_char() && (k.ch == 'q' || k.ch == 'Q'))) return false;
        if (can_retry && ((k.is_plain_char() && (k.ch == 'r' || k.ch == 'R')) || k.code == KeyCode::Enter))
            return true;
    }
}

Card form_card(const Terminal& t, LoginForm& f, const std::string& server, const std::string& fp) {
    Card c;
    c.begin(t, 64);
    header(c, "end-to-end encrypted chat");
    c.rows.push_back(Row{}.add(pad_to_width("server", 11), Style::Dim).add(server, Style::Normal).fit(c.width));
    // The fingerprint wraps under itself rather than being cut.
    auto fp_rows = wrap(fp, std::max(1, c.width - 11));
    for (size_t i = 0; i < fp_rows.size(); ++i)
        c.rows.push_back(Row{}.add(pad_to_width(i == 0 ? "key" : "", 11), Style::Dim)
                             .add(fp_rows[i], Style::Verified).fit(c.width));
    c.blank();
    using F = LoginForm::Field;
    using M = LoginForm::Mode;
    // In a short terminal the fields stay on screen; the rest scrolls.
    c.keep_begin();
    Row mode;
    const bool mf = f.field() == F::Mode;
    mode.add(pad_to_width("account", 11), mf ? Style::Prompt : Style::Normal);
    mode.add(" log in ", f.mode() == M::Login ? (mf ? Style::Cursor : Style::Active) : Style::Dim);
    mode.add("  ", Style::Normal);
    mode.add(" register ", f.mode() == M::Register ? (mf ? Style::Cursor : Style::Active) : Style::Dim);
    if (mf) c.cursor_row = static_cast<int>(c.rows.size()), c.cursor_x = 11;
    c.rows.push_back(std::move(mode.fit(c.width)));
    c.blank();

    const int field_w = std::max(4, c.width - 11);
    VisibleLine u = f.user_editor().visible(field_w - 1);
    if (f.field() == F::User) c.cursor_row = static_cast<int>(c.rows.size()), c.cursor_x = 11 + u.cursor_col;
    c.rows.push_back(field_row("user", u.text, f.field() == F::User, c.width));
    auto masked = [&](const MaskedField& m) {
        return std::string(std::min<size_t>(m.length(), static_cast<size_t>(field_w - 1)), '*');
    };
    std::string p = masked(f.password());
    if (f.field() == F::Password) c.cursor_row = static_cast<int>(c.rows.size()), c.cursor_x = 11 + static_cast<int>(p.size());
    c.rows.push_back(field_row("password", p, f.field() == F::Password, c.width));
    if (f.mode() == M::Register) {
        std::string q = masked(f.confirm());
        if (f.field() == F::Confirm) c.cursor_row = static_cast<int>(c.rows.size()), c.cursor_x = 11 + static_cast<int>(q.size());
        c.rows.push_back(field_row("again", q, f.field() == F::Confirm, c.width));
    }
    c.keep_end();
    c.blank();
    if (!f.message().empty()) c.para(f.message(), f.message_is_error() ? Style::Error : Style::System);
    else c.line(f.mode() == M::Register ? "A new account: your keys are made on this machine." : "", Style::Dim);
    c.blank();
    c.para("Enter next  Tab move  Ctrl-R log in/register  Ctrl-C quit", Style::Dim);
    return c;
}

// One connect (req::Connect) on the core's loop, drawn while it runs: the
// card counts the seconds and Ctrl-C or q gives up (nullopt). The TOFU
// question (confirm_server) comes up from inside pump() when needed.
std::optional<client::Result> connect_once(Terminal& t, CardScreen& s, client::Client& c, const std::string& server) {
    auto reply = std::make_shared<std::optional<client::Result>>();
    c.start(client::req::Connect{}, [reply](client::Outcome o) { *reply = std::move(o.result); });
    for (;;) {
        const auto p = c.pending();
        const uint64_t secs = p.empty() ? 0 : (c.now_ms() - p.front().since_ms) / 1000;
        Card card;
        card.begin(t);
        header(card, "connecting");
        card.para("Connecting to " + server + " ... " + std::to_string(secs) + "s", Style::System);
        card.blank();
        card.line("q: quit", Style::Dim);
        s.show(card);
        auto in = wait_input(t, 50);
        c.pump();
        c.deliver();
        if (*reply) return **reply;
        if (!in || in->is_paste) continue;
        const Key& k = in->key;
        if (k.is_ctrl('c') || (k.is_plain_char() && (k.ch == 'q' || k.ch == 'Q'))) return std::nullopt;
    }
}

// Connected, or why not: the user gave up on an unreachable, silent or
// changed server, or refused to pin an unknown key (no notice then: they
// just chose).
LoginOutcome connect_loop(Terminal& t, CardScreen& s, client::Client& c, const std::string& server,
                          const bool& key_declined) {
    for (;;) {
        auto r = connect_once(t, s, c, server);
        if (!r) return LoginOutcome::NoServer;
        if (r->ok) return LoginOutcome::LoggedIn;
        c.disconnect();  // a refused connect can leave a half-made connection behind
        if (key_declined) return LoginOutcome::KeyDeclined;
        const bool key_changed = r->status == proto::KEY_CHANGED;
        if (!notice(t, s, key_changed ? "SERVER KEY CHANGED" : "cannot connect", r->msg, !key_changed))
            return key_changed ? LoginOutcome::KeyChanged : LoginOutcome::NoServer;
    }
}

}  // namespace

bool confirm_server(Terminal& t, const std::string& server, const std::string& fingerprint) {
    CardScreen s(t);
    for (;;) {
        Card c;
        c.begin(t);
        header(c, "new server");
        // The fingerprint and the question come first and stay on screen
        // however small the terminal; the explanation may scroll.
        c.keep_begin();
        c.para("First connection to " + server + ". Its key fingerprint is:");
        c.block(fingerprint, 2, Style::Highlight);
        c.blank();
        c.para("Trust this server and pin its key?", Style::Prompt);
        c.line("y: yes  n: no", Style::Prompt);
        c.keep_end();
        c.blank();
        c.para("Compare it with the fingerprint your server's admin published (tacitd prints it at start-up). "
               "Once pinned, a different key is refused.", Style::Dim);
        s.show(c);
        auto in = wait_input(t, -1);
        if (!in || in->is_paste) continue;
        const Key& k = in->key;
        if (k.code == KeyCode::Up || k.code == KeyCode::PageUp) s.scroll_by(k.code == KeyCode::Up ? -1 : -t.rows());
        if (k.code == KeyCode::Down || k.code == KeyCode::PageDown) s.scroll_by(k.code == KeyCode::Down ? 1 : t.rows());
        if (k.is_plain_char() && (k.ch == 'y' || k.ch == 'Y')) return true;
        if ((k.is_plain_char() && (k.ch == 'n' || k.ch == 'N')) || k.is_ctrl('c') || k.code == KeyCode::Escape)
            return false;
    }
}

namespace {

// What the form is waiting for, one exchange at a time (a named state, not
// flags). The request runs on the client core's loop (Client::start), so
// the form goes on taking keys, resizing and quitting while the server is
// slow or silent; the reply comes back through deliver().
enum class Step { Editing, Registering, LoggingIn };

struct Attempt {
    Step step = Step::Editing;
    std::string user;
    // A registration's password, kept (in wiping memory) for the login
    // after it: the fields may be edited while the registration runs.
    std::optional<client::Password> then_login;
    // Set by the reply handler in deliver(), read by the loop; shared, so a
    // reply delivered after the form has gone writes nowhere harmful.
    std::shared_ptr<std::optional<client::Result>> reply = std::make_shared<std::optional<client::Result>>();
};

void start(client::Client& c, Attempt& a, Step step, client::Request r) {
    a.step = step;
    c.start(std::move(r), [reply = a.reply](client::Outcome o) { *reply = std::move(o.result); });
}

void submit(client::Client& c, LoginForm& f, Attempt& a) {
    if (a.step != Step::Editing) return;  // one at a time; the form says what waits
    a.user = f.user();
    const std::string& typed = f.password().value();
    if (f.mode() == LoginForm::Mode::Register) {
        a.then_login.emplace(typed);
        start(c, a, Step::Registering, client::req::Register{a.user, typed});
    } else {
        start(c, a, Step::LoggingIn, client::req::Login{a.user, typed});
    }
}

// "logging in as alice: connecting 3s", while the request runs.
std::string progress(const client::Client& c, const Attempt& a) {
    std::string text = (a.step == Step::Registering ? "registering " : "logging in as ") + a.user;
    if (c.phase() != client::Phase::Idle) text += std::string(": ") + client::phase_name(c.phase());
    const auto p = c.pending();
    if (!p.empty()) text += " " + std::to_string((c.now_ms() - p.front().since_ms) / 1000) + "s";
    return text + " ...";
}

// The reply to the form's request: the outcome once the form is done (logged
// in, or a server key that does not match), nullopt to go on.
std::optional<LoginOutcome> finished(Terminal& t, CardScreen& s, client::Client& c, LoginForm& f, Attempt& a,
                                     const bool& key_declined) {
    auto r = std::move(**a.reply);
    a.reply->reset();
    const Step was = a.step;
    a.step = Step::Editing;
    if (key_declined) return LoginOutcome::KeyDeclined;
    // Only the server's key: a connect the request reopened found it changed.
    if (r.status == proto::KEY_CHANGED) {
        notice(t, s, "SERVER KEY CHANGED", r.msg, false);
        return LoginOutcome::KeyChanged;
    }
    if (was == Step::Registering) {
        auto pw = std::move(*a.then_login);
        a.then_login.reset();
        if (!r.ok) {
            f.retry("registration failed: " + r.msg +
                    (r.status == proto::USER_EXISTS ? " (Ctrl-R to log in instead)" : ""));
            return std::nullopt;
        }
        f.set_mode(LoginForm::Mode::Login);  // registered: from now on it is a login
        start(c, a, Step::LoggingIn, client::req::Login{a.user, std::move(pw)});
        return std::nullopt;
    }
    if (r.ok) {
        f.clear_passwords();
        return LoginOutcome::LoggedIn;
    }
    f.retry("login failed: " + r.msg);
    return std::nullopt;
}

}  // namespace

LoginOutcome run_login(Terminal& t, client::Client& c, const client::Options& opt, const client::Config& cfg,
                       const bool& key_declined) {
    CardScreen s(t);
    if (auto o = connect_loop(t, s, c, opt.server, key_declined); o != LoginOutcome::LoggedIn) return o;
    LoginForm f(cfg.user, [&](const std::string& u) { return c.has_local_account(u); });
    Attempt a;
    for (;;) {
        if (a.step != Step::Editing) f.set_message(progress(c, a), false);
        s.show(form_card(t, f, opt.server, c.server_fingerprint()));
        // While a request runs, wake often: its reply (and the worker's
        // PBKDF2 or key generation) comes back through the core's loop.
        auto in = wait_input(t, a.step == Step::Editing ? 1000 : 50);
        // Also while editing: a pre-login connection the server closes (its
        // login deadline, tacitd(8) --login-deadline) is noticed, and the
        // request reopens it without a word; only a failure is shown.
        c.pump();
        c.deliver();
        if (*a.reply)
            if (auto o = finished(t, s, c, f, a, key_declined)) return *o;
        if (!in) continue;
        if (in->is_paste) {
            f.paste(in->text);
            continue;
        }
        auto out = f.handle_key(in->key);
        if (out == LoginForm::Outcome::Quit) return LoginOutcome::Quit;
        if (out == LoginForm::Outcome::Submit) submit(c, f, a);
    }
}

}  // namespace tacit::ui
