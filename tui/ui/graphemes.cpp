#include "tui/ui/graphemes.hpp"

#include <unicode/ubrk.h>
#include <unicode/uchar.h>
#include <unicode/utext.h>

#include <cstdint>

#include "tui/ui/utf8.hpp"

namespace tacit::ui {

namespace {

// One iterator for the process, re-pointed at each string: opening one
// costs far more than segmenting a chat line. The UI is single-threaded.
class Iterator {
public:
    Iterator() {
        UErrorCode st = U_ZERO_ERROR;
        bi_ = ubrk_open(UBRK_CHARACTER, "", nullptr, 0, &st);
        if (U_FAILURE(st)) bi_ = nullptr;
    }
    ~Iterator() {
        if (bi_) ubrk_close(bi_);
    }
    Iterator(const Iterator&) = delete;
    Iterator& operator=(const Iterator&) = delete;
    UBreakIterator* get() const { return bi_; }

private:
    UBreakIterator* bi_ = nullptr;
};

// A UTF-8 UText over s (no copy) with the shared iterator set on it; null
// when ICU refused, and callers then step one code point at a time.
class Segmenter {
public:
    explicit Segmenter(std::string_view s) {
        static Iterator it;
        UErrorCode st = U_ZERO_ERROR;
        ut_ = utext_openUTF8(nullptr, s.data(), static_cast<int64_t>(s.size()), &st);
        if (U_FAILURE(st) || !it.get()) return;
        ubrk_setUText(it.get(), ut_, &st);
        if (U_SUCCESS(st)) bi_ = it.get();
    }
    ~Segmenter() {
        if (ut_) utext_close(ut_);
    }
    Segmenter(const Segmenter&) = delete;
    Segmenter& operator=(const Segmenter&) = delete;
    UBreakIterator* get() const { return bi_; }

private:
    UText* ut_ = nullptr;
    UBreakIterator* bi_ = nullptr;
};

bool plain_ascii(std::string_view s) {
    for (unsigned char c : s)
        if (c >= 0x80 || c == '\r') return false;
    return true;
}

// ICU works on int32_t offsets; longer strings (never a chat line) and a
// failed ICU fall back to code points, which still never split a character.
bool too_long(std::string_view s) { return s.size() > static_cast<size_t>(INT32_MAX / 2); }

}  // namespace

std::vector<size_t> grapheme_ends(std::string_view s) {
    std::vector<size_t> ends;
    if (s.empty()) return ends;
    ends.reserve(s.size());
    if (plain_ascii(s)) {
        for (size_t i = 1; i <= s.size(); ++i) ends.push_back(i);
        return ends;
    }
    Segmenter seg(s);
    if (!seg.get() || too_long(s)) {
        for (size_t i = 0; i < s.size();) ends.push_back(i += cp_length(s, i));
        return ends;
    }
    ubrk_first(seg.get());
    size_t last = 0;
    for (int32_t b = ubrk_next(seg.get()); b != UBRK_DONE; b = ubrk_next(seg.get())) {
        size_t at = static_cast<size_t>(b);
        if (at <= last || at > s.size()) continue;
        ends.push_back(last = at);
    }
    if (ends.empty() || ends.back() != s.size()) ends.push_back(s.size());
    return ends;
}

size_t grapheme_after(std::string_view s, size_t pos) {
    if (pos >= s.size()) return s.size();
    Segmenter seg(s);
    if (!seg.get() || too_long(s)) return pos + cp_length(s, pos);
    int32_t b = ubrk_following(seg.get(), static_cast<int32_t>(pos));
    return b == UBRK_DONE || static_cast<size_t>(b) > s.size() ? s.size() : static_cast<size_t>(b);
}

size_t grapheme_before(std::string_view s, size_t pos) {
    if (pos > s.size()) pos = s.size();
    if (pos == 0) return 0;
    Segmenter seg(s);
    if (!seg.get() || too_long(s)) return prev_cp_start(s, pos);
    int32_t b = ubrk_preceding(seg.get(), static_cast<int32_t>(pos));
    return b == UBRK_DONE || b < 0 ? 0 : static_cast<size_t>(b);
}

bool is_extended_pictographic(char32_t cp) {
    return u_hasBinaryProperty(static_cast<UChar32>(cp), UCHAR_EXTENDED_PICTOGRAPHIC);
}

bool is_grapheme_extend(char32_t cp) {
    return u_getIntPropertyValue(static_cast<UChar32>(cp), UCHAR_GRAPHEME_CLUSTER_BREAK) == U_GCB_EXTEND;
}

}  // namespace tacit::ui
