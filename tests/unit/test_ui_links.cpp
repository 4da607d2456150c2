// tui/ui/links: which URLs are found in message text, and which may become
// OSC 8 targets (schemes, bytes, length).
#include <catch2/catch.hpp>

#include <string>

#include "tui/ui/links.hpp"

using tacit::ui::find_urls;
using tacit::ui::link_target;

namespace {
std::vector<std::string> urls_in(std::string_view text) {
    std::vector<std::string> out;
    for (auto s : find_urls(text)) out.emplace_back(text.substr(s.begin, s.len));
    return out;
}
}  // namespace

TEST_CASE("link targets accept only safe schemes and bytes", "[ui][links]") {
    CHECK(link_target("https://example.org/a?b=c#d") == "https://example.org/a?b=c#d");
    CHECK(link_target("HTTP://Example.org") == "HTTP://Example.org");
    CHECK(link_target("ftp://host/file") == "ftp://host/file");
    CHECK(link_target("mailto:a@b.c") == "mailto:a@b.c");
    CHECK_FALSE(link_target("javascript:alert(1)"));
    CHECK_FALSE(link_target("file:///etc/passwd"));
    CHECK_FALSE(link_target("https://"));
    CHECK_FALSE(link_target("https://a.org/\x1b]8;;x\x1b\\"));
    CHECK_FALSE(link_target("https://a.org/\x07"));
    CHECK_FALSE(link_target("https://a.org/ b"));
    CHECK_FALSE(link_target("https://a.org/\x7f"));
    CHECK_FALSE(link_target("https://a.org/\xc2\x9b"));
    std::string longest = "https://a.org/" + std::string(tacit::ui::kMaxLinkTarget - 14, 'x');
    CHECK(link_target(longest));
    CHECK_FALSE(link_target(longest + "x"));
}

TEST_CASE("URLs are found in message text", "[ui][links]") {
    CHECK(urls_in("see https://a.org/x and http://b.net.") ==
          std::vector<std::string>{"https://a.org/x", "http://b.net"});
    CHECK(urls_in("(https://en.wikipedia.org/wiki/C_(lang))") ==
          std::vector<std::string>{"https://en.wikipedia.org/wiki/C_(lang)"});
    CHECK(urls_in("mail mailto:x@y.z, or \"ftp://f.org/p\"") ==
          std::vector<std::string>{"mailto:x@y.z", "ftp://f.org/p"});
    CHECK(urls_in("nohttps://a.org javascript:x").empty());
    CHECK(urls_in("no links here").empty());
    // An escape ends the URL: the part before it is a link, the rest is not.
    CHECK(urls_in("https://a.org/p\x1b]8;;evil") == std::vector<std::string>{"https://a.org/p"});
    auto spans = find_urls("x https://a.org y");
    REQUIRE(spans.size() == 1);
    CHECK(spans[0].begin == 2);
    CHECK(spans[0].len == 13);
}
