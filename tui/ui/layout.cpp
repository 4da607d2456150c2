#include "tui/ui/layout.hpp"

#include <algorithm>

namespace tacit::ui {

Layout compute_layout(int rows, int cols) {
    Layout l;
    l.rows = std::max(0, rows);
    l.cols = std::max(0, cols);
    rows = l.rows;
    cols = l.cols;
    if (rows == 0 || cols == 0) {
        l.compact = true;
        return l;
    }
    if (rows < kMinRows || cols < kMinCols) {
        l.compact = true;
        l.input = {rows - 1, 0, 1, cols};
        if (rows >= 3) {
            l.status = {rows - 2, 0, 1, cols};
            l.messages = {0, 0, rows - 2, cols};
        } else {
            l.messages = {0, 0, rows - 1, cols};
        }
        return l;
    }
    const int left = std::clamp(cols / 5, 12, 24);
    const int body_y = 1, body_h = rows - 3;
    l.title = {0, 0, 1, cols};
    l.status = {rows - 2, 0, 1, cols};
    l.input = {rows - 1, 0, 1, cols};
    l.separator = {body_y, left, body_h, 1};
    l.messages = {body_y, left + 2, body_h, cols - left - 2};  // one column of air
    // The conversation list gets what the two side lists leave; each list
    // keeps a header and at least two entries.
    const int side = std::max(3, body_h * 3 / 10);
    const int conv_h = body_h - 2 * side;
    l.convs = {body_y, 0, conv_h, left};
    l.online = {body_y + conv_h, 0, side, left};
    l.groups = {body_y + conv_h + side, 0, side, left};
    return l;
}

}  // namespace tacit::ui
