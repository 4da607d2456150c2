#include "tui/ui/prompt.hpp"

#include "tui/ui/sanitize.hpp"
#include "tui/ui/utf8.hpp"

namespace tacit::ui {

namespace {
// Plain stores to a buffer about to be freed may be optimised away.
void wipe_string(std::string& s) {
    volatile char* p = s.data();
    for (size_t i = 0; i < s.size(); ++i) p[i] = 0;
    s.clear();
}
}  // namespace

bool MaskedField::handle_key(const Key& k) {
    if (k.is_plain_char()) {
        std::string s;
        append_utf8(s, k.ch);
        insert(s);
        return true;
    }
    if (k.code == KeyCode::Backspace || k.is_ctrl('h')) {
        if (!value_.empty()) {
            size_t at = prev_cp_start(value_, value_.size());
            // Overwrite before shrinking so the dropped bytes don't linger.
            for (size_t i = at; i < value_.size(); ++i) value_[i] = 0;
            value_.resize(at);
        }
        return true;
    }
    if (k.is_ctrl('u') || k.is_ctrl('w')) {
        clear();
        return true;
    }
    return false;
}

void MaskedField::insert(std::string_view text) {
    for (size_t i = 0; i < text.size();) {
        Decoded d = decode_next(text, i);
        i += d.len;
        if (is_unsafe_cp(d.cp) || !d.valid) continue;
        std::string s;
        append_utf8(s, d.cp);
        if (value_.size() + s.size() > kMaxBytes) return;
        // Reserve ahead so appends never reallocate and leave copies behind.
        if (value_.capacity() < kMaxBytes) value_.reserve(kMaxBytes);
        value_ += s;
    }
}

size_t MaskedField::length() const {
    size_t n = 0;
    for (size_t i = 0; i < value_.size(); i += cp_length(value_, i)) ++n;
    return n;
}

void MaskedField::clear() { wipe_string(value_); }

MaskedField& PasswordChange::field() {
    switch (step_) {
        case Step::Current: return current_;
        case Step::New: return first_;
        case Step::Again: break;
    }
    return second_;
}

size_t PasswordChange::length() const {
    switch (step_) {
        case Step::Current: return current_.length();
        case Step::New: return first_.length();
        case Step::Again: break;
    }
    return second_.length();
}

PasswordChange::Outcome PasswordChange::handle_key(const Key& k) {
    if (k.code == KeyCode::Escape || k.is_ctrl('c')) {
        clear();
        return Outcome::Cancelled;
    }
    if (k.code != KeyCode::Enter) {
        field().handle_key(k);
        return Outcome::None;
    }
    if (field().empty()) return Outcome::None;
    switch (step_) {
        case Step::Current: step_ = Step::New; return Outcome::None;
        case Step::New: step_ = Step::Again; return Outcome::None;
        case Step::Again: break;
    }
    if (first_.value() != second_.value()) {
        first_.clear();
        second_.clear();
        step_ = Step::New;
        return Outcome::Mismatch;
    }
    second_.clear();
    return Outcome::Done;
}

std::string PasswordChange::label() const {
    switch (step_) {
        case Step::Current: return "current password";
        case Step::New: return "new password";
        case Step::Again: break;
    }
    return "new password again";
}

void PasswordChange::clear() {
    current_.clear();
    first_.clear();
    second_.clear();
    step_ = Step::Current;
}

}  // namespace tacit::ui
