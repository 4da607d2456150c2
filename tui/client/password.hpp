// A typed password as the client core takes it: in wiping memory (Secret),
// owned by the core, which wipes it as soon as PBKDF2 has run (tacit(1):
// only the derived keys are kept, for reconnecting and renewal). Made
// implicitly from text so a caller can't keep a copy it does not wipe
// without writing one.
#pragma once
#include <string>
#include <string_view>

#include "shared/bytes.hpp"

namespace tacit::client {

class Password {
public:
    Password(std::string_view text) : s_(as_bytes(text)) {}
    Password(const char* text) : Password(std::string_view(text)) {}
    Password(const std::string& text) : Password(std::string_view(text)) {}
    std::string_view text() const { return {reinterpret_cast<const char*>(s_.data()), s_.size()}; }
    bool empty() const { return s_.size() == 0; }
    void wipe() { s_.clear(); }

private:
    Secret s_;
};

}  // namespace tacit::client
