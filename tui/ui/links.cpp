#include "tui/ui/links.hpp"

#include <algorithm>
#include <array>

#include "tui/ui/ascii.hpp"

namespace tacit::ui {
namespace {

constexpr std::array<std::string_view, 4> kSchemes = {"https://", "http://", "ftp://", "mailto:"};

// Length of the scheme prefix s starts with, or 0.
std::size_t scheme_len(std::string_view s) {
    for (auto scheme : kSchemes)
        if (starts_with_nocase(s, scheme)) return scheme.size();
    return 0;
}

bool is_url_byte(char c) {
    auto u = static_cast<unsigned char>(c);
    return u >= 0x21 && u <= 0x7E;
}

bool is_alnum(char c) {
    char l = ascii_lower(c);
    return (l >= 'a' && l <= 'z') || (c >= '0' && c <= '9');
}

// Drops what a writer puts after a URL rather than in it: "see (x.org/a)."
std::size_t trim_tail(std::string_view url) {
    std::size_t n = url.size();
    while (n > 0) {
        char c = url[n - 1];
        if (std::string_view(".,;:!?'\"").find(c) != std::string_view::npos) {
            --n;
            continue;
        }
        char open = c == ')' ? '(' : c == ']' ? '[' : 0;
        if (open == 0) break;
        auto part = url.substr(0, n);
        if (std::count(part.begin(), part.end(), open) >= std::count(part.begin(), part.end(), c))
            break;
        --n;
    }
    return n;
}

}  // namespace

std::optional<std::string> link_target(std::string_view url) {
    std::size_t prefix = scheme_len(url);
    if (prefix == 0 || url.size() <= prefix || url.size() > kMaxLinkTarget) return std::nullopt;
    if (!std::all_of(url.begin(), url.end(), is_url_byte)) return std::nullopt;
    return std::string(url);
}

std::vector<UrlSpan> find_urls(std::string_view text) {
    std::vector<UrlSpan> found;
    std::size_t i = 0;
    while (i < text.size()) {
        bool boundary = i == 0 || !is_alnum(text[i - 1]);
        std::size_t prefix = boundary ? scheme_len(text.substr(i)) : 0;
        if (prefix == 0) {
            ++i;
            continue;
        }
        std::size_t end = i + prefix;
        while (end < text.size() && is_url_byte(text[end])) ++end;
        std::size_t len = trim_tail(text.substr(i, end - i));
        if (link_target(text.substr(i, len))) found.push_back({i, len});
        i = end;
    }
    return found;
}

}  // namespace tacit::ui
