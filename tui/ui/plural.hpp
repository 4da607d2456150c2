// "1 member", "2 members": counts in what the screen says.
#pragma once
#include <cstddef>
#include <string>
#include <string_view>

namespace tacit::ui {

// English nouns that take -s; enough for the words the client uses.
inline std::string counted(size_t n, std::string_view noun) {
    return std::to_string(n) + " " + std::string(noun) + (n == 1 ? "" : "s");
}

}  // namespace tacit::ui
