#include "shared/names.hpp"

#include <cstdio>

#include "shared/protocol.hpp"

namespace tacit {

namespace {
bool is_lower(char c) { return c >= 'a' && c <= 'z'; }
bool name_char(char c) {
    return is_lower(c) || (c >= '0' && c <= '9') || c == '_' || c == '.' || c == '-';
}
// A printable quote of one byte, so a control byte can't garble the UI.
std::string show(char c) {
    auto u = static_cast<unsigned char>(c);
    if (u >= 0x21 && u < 0x7f) return std::string("'") + c + "'";
    if (u == ' ') return "a space";
    char buf[16];
    std::snprintf(buf, sizeof buf, "byte 0x%02x", u);
    return buf;
}
}  // namespace

// Separate from name_problem so the server's hot path never allocates.
bool valid_name(std::string_view name) {
    if (name.empty() || name.size() > proto::kMaxName || !is_lower(name[0])) return false;
    for (char c : name)
        if (!name_char(c)) return false;
    return true;
}

std::string name_problem(std::string_view name) {
    if (name.empty()) return "A name can't be empty.";
    if (name.size() > proto::kMaxName)
        return "A name can be at most " + std::to_string(proto::kMaxName) + " characters long.";
    if (!is_lower(name[0]))
        return "A name must start with a lowercase letter (a-z), not " + show(name[0]) + ".";
    for (char c : name)
        if (!name_char(c))
            return "A name may only hold a-z, 0-9, '_', '.' and '-', not " + show(c) + ".";
    return "";
}

std::string loggable_name(std::string_view name) {
    if (valid_name(name)) return std::string(name);
    constexpr size_t kShown = 64;
    std::string out = "\"";
    for (char c : name.substr(0, kShown)) {
        auto u = static_cast<unsigned char>(c);
        if (u > 0x20 && u < 0x7f && c != '"' && c != '\\') {
            out += c;
            continue;
        }
        char buf[8];
        std::snprintf(buf, sizeof buf, "\\x%02x", u);
        out += buf;
    }
    out += '"';
    if (name.size() > kShown) out += "...(" + std::to_string(name.size()) + " bytes)";
    return out;
}

}  // namespace tacit
