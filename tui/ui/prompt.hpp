// Masked password entry, for the login form and /passwd. The password is
// never shown, never kept in any history, and wiped when cleared.
#pragma once
#include <cstddef>
#include <string>

#include "tui/ui/keys.hpp"

namespace tacit::ui {

class MaskedField {
public:
    MaskedField() = default;
    MaskedField(const MaskedField&) = delete;
    MaskedField& operator=(const MaskedField&) = delete;
    ~MaskedField() { clear(); }

    // Printable characters append, Backspace/Ctrl-H drop the last code
    // point, Ctrl-U/Ctrl-W empty the field. Returns true if handled.
    bool handle_key(const Key& k);
    void insert(std::string_view text);  // a paste: controls dropped
    const std::string& value() const { return value_; }
    size_t length() const;  // code points, for the row of '*'
    bool empty() const { return value_.empty(); }
    void clear();

    static constexpr size_t kMaxBytes = 1024;

private:
    std::string value_;
};

// The /passwd dialogue: the current password (checked by the client core
// against the identity file), then the new one twice.
class PasswordChange {
public:
    enum class Outcome { None, Done, Cancelled, Mismatch };
    enum class Step { Current, New, Again };
    // Enter moves on (or finishes), Esc or Ctrl-C cancels. After Mismatch
    // the new password is asked for again; the current one is kept.
    Outcome handle_key(const Key& k);
    void paste(std::string_view text) { field().insert(text); }
    std::string label() const;
    Step step() const { return step_; }
    size_t length() const;
    const std::string& current() const { return current_.value(); }
    const std::string& password() const { return first_.value(); }
    void clear();

private:
    MaskedField& field();
    Step step_ = Step::Current;
    MaskedField current_, first_, second_;
};

}  // namespace tacit::ui
