#pragma once

// The readers of the configuration's sections, one per top-level key. Each maps what the file
// holds onto config.hpp, reports every problem at its line and keeps the default of a key that
// is absent or wrong. Private to the config module.

#include <vector>

#include "config/yaml_reader.hpp"
#include "riskbridge/config/config.hpp"

namespace riskbridge::config::detail {

// sections_service.cpp
void read_server(reader& r, const entry& e, server_config& s);
void read_store(reader& r, const entry& e, store_config& s);
void read_workers(reader& r, const entry& e, workers_config& w);
void read_logging(reader& r, const entry& e, logging_config& l);

// sections_integrations.cpp
void read_ashby(reader& r, const entry& e, ashby_config& a);
void read_riskos(reader& r, const entry& e, riskos_config& c);
void read_triggers(reader& r, const entry& e, std::vector<trigger>& out);
void read_consent(reader& r, const entry& e, consent_config& c);
void read_tags(reader& r, const entry& e, tags_config& t);
void read_notes(reader& r, const entry& e, notes_config& n);
void read_mapping(reader& r, const entry& e, mapping_config& c);

}  // namespace riskbridge::config::detail
