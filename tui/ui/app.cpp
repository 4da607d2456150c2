// Placeholder until the ncurses view lands (replaced by the TUI work).
#include "tui/ui/app.hpp"

#include <cstdio>

namespace tacit::ui {

int run_app(const client::Options&, const client::Config&) {
    std::fputs("tacit: the full-screen client is not built yet; use --batch\n", stderr);
    return 2;
}

}  // namespace tacit::ui
