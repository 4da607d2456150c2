// The full-screen client (ncurses). Only tui/ui includes curses.h.
#pragma once
#include "tui/client/client.hpp"
#include "tui/client/config.hpp"

namespace tacit::ui {

int run_app(const client::Options& opt, const client::Config& cfg);

}  // namespace tacit::ui
