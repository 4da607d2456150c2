// Extended grapheme clusters (UAX #29), segmented by ICU's character break
// iterator on the whole string, so context such as a run of regional
// indicators is read from its start. A cluster is what the user sees as one
// character: a base with its marks, an emoji ZWJ sequence, a flag.
#pragma once
#include <cstddef>
#include <string_view>
#include <vector>

namespace tacit::ui {

// Byte offsets where the clusters of s end, ascending; the last is s.size()
// (none for an empty s). Invalid UTF-8 bytes are clusters of their own.
std::vector<size_t> grapheme_ends(std::string_view s);

// End of the cluster that starts at or contains pos, and start of the one
// that ends at or contains pos - 1; both clamp to [0, s.size()].
size_t grapheme_after(std::string_view s, size_t pos);
size_t grapheme_before(std::string_view s, size_t pos);

// Unicode properties the sanitizer and the width rules need.
bool is_extended_pictographic(char32_t cp);
bool is_grapheme_extend(char32_t cp);  // Grapheme_Cluster_Break=Extend

}  // namespace tacit::ui
