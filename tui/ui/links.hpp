// Finds URLs in message text and decides which may become OSC 8 hyperlink
// targets (issue 18, "Links"). Message text is untrusted: a target is only
// ever written to the terminal after link_target() accepted it, so a peer
// cannot smuggle an escape, a control byte or an odd scheme (javascript:,
// file:) into the hyperlink sequence.
#pragma once
#include <cstddef>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace tacit::ui {

// Longest target accepted; longer URLs stay plain text.
inline constexpr std::size_t kMaxLinkTarget = 2048;

// The URL itself if it may be an OSC 8 target: scheme http, https, ftp or
// mailto (any case), at most kMaxLinkTarget bytes, and only printable
// ASCII other than space (0x21..0x7E). Otherwise nullopt.
std::optional<std::string> link_target(std::string_view url);

// A URL found in text, as a byte range of that text.
struct UrlSpan {
    std::size_t begin = 0;
    std::size_t len = 0;
};

// URLs in text, in order. A URL starts with an accepted scheme at the start
// of the text or after a byte that is not a letter or digit, runs to the
// next byte outside 0x21..0x7E, and loses trailing sentence punctuation
// (. , ; : ! ? ' ") and a closing ')' or ']' it did not open. Only spans
// that link_target() accepts are returned.
std::vector<UrlSpan> find_urls(std::string_view text);

}  // namespace tacit::ui
