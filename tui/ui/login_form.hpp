// The first-run form: log in or register, user name, masked password (and
// its confirmation when registering). Key handling only; login_screen.cpp
// draws it and talks to the client core.
#pragma once
#include <functional>
#include <string>

#include "tui/ui/keys.hpp"
#include "tui/ui/line_editor.hpp"
#include "tui/ui/prompt.hpp"

namespace tacit::ui {

class LoginForm {
public:
    enum class Mode { Login, Register };
    enum class Field { Mode, User, Password, Confirm };
    enum class Outcome { None, Submit, Quit };

    // has_local_key(user): whether this machine holds user's key file, to
    // guess the mode (log in if so, register if not) until the user picks.
    LoginForm(std::string user, std::function<bool(const std::string&)> has_local_key);

    // Enter: next field, or submit from the last one (if valid); Tab/Down
    // next, BackTab/Up previous; on the mode row Left/Right/Space switch;
    // Ctrl-R switches anywhere; Ctrl-C quits.
    Outcome handle_key(const Key& k);
    void paste(std::string_view text);

    Mode mode() const { return mode_; }
    Field field() const { return field_; }
    std::string user() const;  // trimmed, lower-cased
    const LineEditor& user_editor() const { return user_; }
    LineEditor& user_editor() { return user_; }
    const MaskedField& password() const { return pass_; }
    const MaskedField& confirm() const { return confirm_; }
    // "" when the form can be submitted, else what is wrong.
    std::string problem() const;
    const std::string& message() const { return message_; }
    bool message_is_error() const { return error_; }
    void set_message(std::string m, bool error) { message_ = std::move(m), error_ = error; }
    // After a failed attempt: passwords wiped, back to the password field.
    void retry(std::string why);
    void clear_passwords();
    void set_mode(Mode m);

private:
    void move(int delta);
    void guess_mode();
    int last_field() const { return mode_ == Mode::Register ? 3 : 2; }

    std::function<bool(const std::string&)> has_local_key_;
    Mode mode_ = Mode::Register;
    bool mode_chosen_ = false;
    Field field_ = Field::User;
    LineEditor user_;
    MaskedField pass_, confirm_;
    std::string message_;
    bool error_ = false;
};

}  // namespace tacit::ui
