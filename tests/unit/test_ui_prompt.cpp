#include <catch2/catch.hpp>

#include "tui/ui/login_form.hpp"
#include "tui/ui/prompt.hpp"

using namespace tacit::ui;

namespace {
void type(MaskedField& f, std::string_view s) {
    for (char c : s) f.handle_key(Key::chr(static_cast<unsigned char>(c)));
}
template <class F> void type_keys(F& f, std::string_view s) {
    for (char c : s) f.handle_key(Key::chr(static_cast<unsigned char>(c)));
}
const Key kEnter = Key::special(KeyCode::Enter);
}  // namespace

TEST_CASE("masked field: edits, counts code points, drops controls", "[ui][prompt]") {
    MaskedField f;
    type(f, "pass");
    f.insert("w\xC3\xB6rd\x1b[A\n");  // "wörd" plus controls
    CHECK(f.value() == "passw\xC3\xB6rd[A");
    CHECK(f.length() == 10);
    for (int i = 0; i < 4; ++i) f.handle_key(Key::special(KeyCode::Backspace));
    CHECK(f.value() == "passw\xC3\xB6");
    f.handle_key(Key::special(KeyCode::Backspace));
    CHECK(f.value() == "passw");
    CHECK_FALSE(f.handle_key(Key::special(KeyCode::Left)));
    f.handle_key(Key::ctrl_key('u'));
    CHECK(f.empty());
    std::string big(5000, 'x');
    f.insert(big);
    CHECK(f.value().size() == MaskedField::kMaxBytes);
}

TEST_CASE("password change: current, then new twice; a mismatch asks for the new one again; Esc cancels", "[ui][prompt]") {
    PasswordChange p;
    CHECK(p.label() == "current password");
    CHECK(p.handle_key(kEnter) == PasswordChange::Outcome::None);  // empty: stays
    CHECK(p.step() == PasswordChange::Step::Current);
    type_keys(p, "old-one");
    CHECK(p.length() == 7);
    CHECK(p.handle_key(kEnter) == PasswordChange::Outcome::None);
    CHECK(p.label() == "new password");
    CHECK(p.length() == 0);
    type_keys(p, "secret-1");
    CHECK(p.length() == 8);
    CHECK(p.handle_key(kEnter) == PasswordChange::Outcome::None);
    CHECK(p.label() == "new password again");
    CHECK(p.length() == 0);
    type_keys(p, "secret-2");
    CHECK(p.handle_key(kEnter) == PasswordChange::Outcome::Mismatch);
    CHECK(p.label() == "new password");
    type_keys(p, "secret-3");
    p.handle_key(kEnter);
    type_keys(p, "secret-3");
    CHECK(p.handle_key(kEnter) == PasswordChange::Outcome::Done);
    CHECK(p.password() == "secret-3");
    CHECK(p.current() == "old-one");  // kept across the mismatch
    p.clear();
    CHECK(p.password().empty());
    CHECK(p.current().empty());
    CHECK(p.label() == "current password");
    type_keys(p, "abc");
    CHECK(p.handle_key(Key::special(KeyCode::Escape)) == PasswordChange::Outcome::Cancelled);
    CHECK(p.length() == 0);
}

TEST_CASE("login form: register a new user", "[ui][login]") {
    LoginForm f("", [](const std::string&) { return false; });
    CHECK(f.field() == LoginForm::Field::User);
    CHECK(f.handle_key(kEnter) == LoginForm::Outcome::None);  // no name yet
    CHECK(f.field() == LoginForm::Field::User);
    type_keys(f, "Alice");
    f.handle_key(kEnter);
    CHECK(f.user() == "alice");
    CHECK(f.mode() == LoginForm::Mode::Register);
    CHECK(f.field() == LoginForm::Field::Password);
    type_keys(f, "short");
    f.handle_key(kEnter);
    CHECK(f.field() == LoginForm::Field::Confirm);
    type_keys(f, "short");
    CHECK(f.handle_key(kEnter) == LoginForm::Outcome::None);
    CHECK(f.message_is_error());
    CHECK(f.message().find("8 characters") != std::string::npos);
}

TEST_CASE("login form: mismatch, then success", "[ui][login]") {
    LoginForm f("alice", [](const std::string&) { return false; });
    CHECK(f.field() == LoginForm::Field::Password);
    type_keys(f, "long-password");
    f.handle_key(kEnter);
    type_keys(f, "long-passwort");
    CHECK(f.handle_key(kEnter) == LoginForm::Outcome::None);
    CHECK(f.message().find("differ") != std::string::npos);
    CHECK(f.field() == LoginForm::Field::Password);
    CHECK(f.password().empty());
    type_keys(f, "long-password");
    f.handle_key(kEnter);
    type_keys(f, "long-password");
    CHECK(f.handle_key(kEnter) == LoginForm::Outcome::Submit);
    CHECK(f.password().value() == "long-password");
}

TEST_CASE("login form: a local key means log in; Ctrl-R switches", "[ui][login]") {
    LoginForm f("bob", [](const std::string& u) { return u == "bob"; });
    CHECK(f.mode() == LoginForm::Mode::Login);
    type_keys(f, "pw");
    CHECK(f.handle_key(kEnter) == LoginForm::Outcome::Submit);  // no confirmation field
    f.handle_key(Key::ctrl_key('r'));
    CHECK(f.mode() == LoginForm::Mode::Register);
    // The explicit choice sticks, even though bob has a key here.
    f.handle_key(Key::special(KeyCode::Up));
    f.handle_key(Key::special(KeyCode::Down));
    CHECK(f.mode() == LoginForm::Mode::Register);
    // On the mode row, l and r pick.
    f.handle_key(Key::special(KeyCode::Up));
    f.handle_key(Key::special(KeyCode::Up));
    CHECK(f.field() == LoginForm::Field::Mode);
    f.handle_key(Key::chr('l'));
    CHECK(f.mode() == LoginForm::Mode::Login);
    CHECK(f.handle_key(Key::ctrl_key('c')) == LoginForm::Outcome::Quit);
}

TEST_CASE("login form: invalid names are refused", "[ui][login]") {
    LoginForm f("", nullptr);
    type_keys(f, "9lives");
    f.handle_key(kEnter);
    type_keys(f, "password");
    f.handle_key(Key::ctrl_key('r'));  // log in: no confirmation
    if (f.mode() != LoginForm::Mode::Login) f.handle_key(Key::ctrl_key('r'));
    CHECK(f.handle_key(kEnter) == LoginForm::Outcome::None);
    CHECK(f.message().find("user names") != std::string::npos);
    f.retry("login failed: wrong password");
    CHECK(f.password().empty());
    CHECK(f.message() == "login failed: wrong password");
}
