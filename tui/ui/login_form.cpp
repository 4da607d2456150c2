#include "tui/ui/login_form.hpp"

#include "tui/ui/commands.hpp"

namespace tacit::ui {

LoginForm::LoginForm(std::string user, std::function<bool(const std::string&)> has_local_key)
    : has_local_key_(std::move(has_local_key)) {
    user_.set_text(user);
    if (!this->user().empty()) {
        field_ = Field::Password;
        guess_mode();
    }
}

std::string LoginForm::user() const {
    std::string u = user_.text();
    size_t a = u.find_first_not_of(' '), b = u.find_last_not_of(' ');
    if (a == std::string::npos) return "";
    u = u.substr(a, b - a + 1);
    for (char& c : u)
        if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
    return u;
}

void LoginForm::guess_mode() {
    if (mode_chosen_ || !has_local_key_) return;
    std::string u = user();
    if (valid_name(u)) mode_ = has_local_key_(u) ? Mode::Login : Mode::Register;
}

void LoginForm::set_mode(Mode m) {
    mode_ = m;
    mode_chosen_ = true;
    if (m == Mode::Login) confirm_.clear();
    if (static_cast<int>(field_) > last_field()) field_ = static_cast<Field>(last_field());
}

void LoginForm::move(int delta) {
    if (field_ == Field::User && delta > 0) guess_mode();
    int f = static_cast<int>(field_) + delta;
    if (f < 0) f = 0;
    if (f > last_field()) f = last_field();
    field_ = static_cast<Field>(f);
}

std::string LoginForm::problem() const {
    std::string u = user();
    if (u.empty()) return "type a user name";
    if (!valid_name(u)) return "user names are 1-32 of a-z 0-9 _ . -, starting with a letter";
    if (pass_.empty()) return "type the password";
    if (mode_ == Mode::Register) {
        if (pass_.length() < 8) return "use a password of at least 8 characters";
        if (confirm_.value() != pass_.value()) return "the two passwords differ";
    }
    return "";
}

void LoginForm::clear_passwords() {
    pass_.clear();
    confirm_.clear();
}

void LoginForm::retry(std::string why) {
    clear_passwords();
    field_ = Field::Password;
    set_message(std::move(why), true);
}

void LoginForm::paste(std::string_view text) {
    if (field_ == Field::User) user_.insert(text);
    else if (field_ == Field::Password) pass_.insert(text);
    else if (field_ == Field::Confirm) confirm_.insert(text);
}

LoginForm::Outcome LoginForm::handle_key(const Key& k) {
    if (k.is_ctrl('c') || k.is_ctrl('d')) return Outcome::Quit;
    if (k.is_ctrl('r')) {
        set_mode(mode_ == Mode::Login ? Mode::Register : Mode::Login);
        return Outcome::None;
    }
    switch (k.code) {
        case KeyCode::Enter:
            if (static_cast<int>(field_) < last_field()) {
                // Enter on a filled field moves on; on an empty one it stays.
                if (field_ == Field::User && user().empty()) return Outcome::None;
                if (field_ == Field::Password && pass_.empty()) return Outcome::None;
                move(1);
                return Outcome::None;
            }
            if (field_ == Field::User) guess_mode();
            if (auto p = problem(); !p.empty()) {
                set_message(p, true);
                if (p.find("passwords differ") != std::string::npos) retry(p);
                return Outcome::None;
            }
            return Outcome::Submit;
        case KeyCode::Tab:
        case KeyCode::Down: move(1); return Outcome::None;
        case KeyCode::BackTab:
        case KeyCode::Up: move(-1); return Outcome::None;
        default: break;
    }
    if (field_ == Field::Mode) {
        if (k.code == KeyCode::Left || k.code == KeyCode::Right || (k.is_plain_char() && k.ch == ' '))
            set_mode(mode_ == Mode::Login ? Mode::Register : Mode::Login);
        else if (k.is_plain_char() && (k.ch == 'l' || k.ch == 'L')) set_mode(Mode::Login);
        else if (k.is_plain_char() && (k.ch == 'r' || k.ch == 'R')) set_mode(Mode::Register);
        return Outcome::None;
    }
    if (field_ == Field::User) {
        user_.handle_key(k);
        return Outcome::None;
    }
    (field_ == Field::Password ? pass_ : confirm_).handle_key(k);
    return Outcome::None;
}

}  // namespace tacit::ui
