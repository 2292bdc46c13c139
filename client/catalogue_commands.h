#pragma once

#include <functional>
#include <string>

#include "CLI/CLI.hpp"
#include "client/admin_client.h"

namespace ldgs::client {

// Registers the learning commands: compare, practices (search, top), adapt, outcome,
// stories (search) and report. Each sets `action`, run by main with a connected client;
// `output` is "table" or "json" (report also takes "html").
void AddCatalogueCommands(CLI::App& app, const std::string& output,
                          std::function<int(AdminClient&)>& action);

}  // namespace ldgs::client
