#pragma once
/// tacit: private-by-construction telemetry for C++. The one header users include.
///
/// Exporters that need more than fmt live under tacit/exporters/ and are included on their own.
#include "config.hpp"
#include "ids.hpp"
#include "value.hpp"
#include "attribute.hpp"
#include "schema.hpp"
#include "status.hpp"
#include "exporter.hpp"
#include "sampler.hpp"
#include "trace_context.hpp"
#include "settings.hpp"
#include "span.hpp"
#include "pipeline.hpp"
#include "exporters/memory.hpp"
#include "exporters/console.hpp"
#include "exporters/jsonl.hpp"
