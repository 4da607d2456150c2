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

// The /passwd dialogue: the new password twice.
class PasswordChange {
public:
    enum class Outcome { None, Done, Cancelled, Mismatch };
    // Enter moves on (or finishes), Esc or Ctrl-C cancels. After Mismatch
    // the dialogue starts over.
    Outcome handle_key(const Key& k);
    void paste(std::string_view text) { field().insert(text); }
    std::string label() const;
    size_t length() const { return step_ == 0 ? first_.length() : second_.length(); }
    const std::string& password() const { return first_.value(); }
    void clear();

private:
    MaskedField& field() { return step_ == 0 ? first_ : second_; }
    int step_ = 0;
    MaskedField first_, second_;
};

}  // namespace tacit::ui
