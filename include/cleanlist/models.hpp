#pragma once
// Umbrella header of the typed models (requests, responses, JSON conversions, validation).

#include <cleanlist/models/common.hpp>
#include <cleanlist/models/enrichment.hpp>
#include <cleanlist/models/export.hpp>
#include <cleanlist/models/lead_lists.hpp>
#include <cleanlist/models/legacy.hpp>
#include <cleanlist/models/smart_agents.hpp>
#include <cleanlist/models/validation.hpp>
#include <cleanlist/models/workspace.hpp>
