/* q_dynrisk.c — SQL of q_dynrisk.h (the dynamic risk index, migration 23). */
#include "store/q_dynrisk.h"

const char Q_DYN_AREAS[] =
    "SELECT id, path, name, code, tz FROM units WHERE kind = 'area' AND active = 1 AND path LIKE $1 || '%' "
    "ORDER BY path";
const char Q_DYN_HAZARDS[] =
    "SELECT h.grade, h.deadline FROM hazards h JOIN units u ON u.id = h.unit_id "
    "WHERE h.closed_at IS NULL AND u.path LIKE $1 || '%'";
const char Q_DYN_PERMITS[] =
    "SELECT p.type, p.grade, p.state, p.planned_start, p.planned_end, p.id, p.code FROM permits p "
    "JOIN units u ON u.id = p.unit_id WHERE u.path LIKE $1 || '%' AND (p.state = 'active' OR "
    "(p.state IN ('applied', 'identified', 'tested', 'approved', 'suspended') "
    "AND p.planned_start < $3 AND p.planned_end > $2)) ORDER BY p.id";
const char Q_DYN_SHIFTS[] =
    "SELECT s.start_min, s.length_min, u.path FROM shifts s JOIN units u ON u.id = s.unit_id "
    "WHERE s.active = 1 AND $1 LIKE u.path || '%' ORDER BY length(u.path) DESC, s.start_min";
const char Q_DYN_HAZARDS_AT[] =
    "SELECT h.grade, h.deadline FROM hazards h JOIN units u ON u.id = h.unit_id "
    "WHERE u.path LIKE $1 || '%' AND h.found_at <= $2 AND (h.closed_at IS NULL OR h.closed_at > $2)";
const char Q_DYN_PERMITS_AT[] =
    "SELECT p.type, p.grade FROM permits p JOIN units u ON u.id = p.unit_id "
    "WHERE u.path LIKE $1 || '%' AND p.activated_at IS NOT NULL AND p.activated_at <= $2 "
    "AND coalesce(p.closed_at, p.planned_end) > $2 ORDER BY p.id";
const char Q_DYN_WEATHER_LATEST[] =
    "SELECT w.wind_ms, w.rain_mmh, w.temp_c, w.lightning, w.observed_at FROM weather_obs w "
    "JOIN units u ON u.id = w.unit_id WHERE $1 LIKE u.path || '%' AND w.observed_at >= $2 AND w.observed_at <= $3 "
    "ORDER BY w.forecast, w.observed_at DESC, length(u.path) DESC LIMIT 1";
const char Q_DYN_FORECASTS[] =
    "SELECT w.wind_ms, w.rain_mmh, w.temp_c, w.lightning, w.observed_at FROM weather_obs w "
    "JOIN units u ON u.id = w.unit_id WHERE $1 LIKE u.path || '%' AND w.forecast = 1 AND w.observed_at >= $2 "
    "AND w.observed_at <= $3 ORDER BY w.observed_at, length(u.path) LIMIT 256";
const char Q_DYN_WEATHER_INSERT[] =
    "INSERT INTO weather_obs (unit_id, observed_at, wind_ms, rain_mmh, temp_c, lightning, source, created_at, "
    "forecast) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9) RETURNING id";
const char Q_DYN_WEATHER_LIST[] =
    "SELECT w.id, w.unit_id, w.observed_at, w.wind_ms, w.rain_mmh, w.temp_c, w.lightning, w.source, w.forecast "
    "FROM weather_obs w JOIN units u ON u.id = w.unit_id "
    "WHERE (u.path LIKE $1 || '%' OR $1 LIKE u.path || '%') AND w.observed_at >= $2 AND w.observed_at < $3 "
    "ORDER BY w.observed_at DESC, w.id DESC LIMIT $4";
const char Q_DYN_HISTORY_PUT[] =
    "INSERT INTO risk_index_history (unit_id, at, idx, colour, factors) VALUES ($1, $2, $3, $4, $5) "
    "ON CONFLICT (unit_id, at) DO UPDATE SET idx = excluded.idx, colour = excluded.colour, "
    "factors = excluded.factors";
const char Q_DYN_FORECAST_ALARMS[] =
    "SELECT source_id, id FROM alarms WHERE open = 1 AND rule_id = $1 "
    "AND state IN ('unack', 'acked', 'shelved') ORDER BY id";
const char Q_DYN_LAST_COLOUR[] =
    "SELECT colour FROM risk_index_history WHERE unit_id = $1 AND at >= $2 ORDER BY at DESC LIMIT 1";
const char Q_DYN_HISTORY[] =
    "SELECT at, idx, colour, factors FROM risk_index_history WHERE unit_id = $1 AND at >= $2 AND at < $3 "
    "ORDER BY at LIMIT $4";
const char Q_DYN_PROFILE_GET[] = "SELECT learnt_hour, profile FROM risk_index_profiles WHERE unit_id = $1";
const char Q_DYN_PROFILE_PUT[] =
    "INSERT INTO risk_index_profiles (unit_id, learnt_hour, profile) VALUES ($1, $2, $3) "
    "ON CONFLICT (unit_id) DO UPDATE SET learnt_hour = excluded.learnt_hour, profile = excluded.profile";
const char Q_DYN_PARAMS_ACTIVE[] =
    "SELECT id, doc, comment, created_by_person_id, created_at FROM risk_index_params WHERE active = 1 "
    "ORDER BY id LIMIT 1";
const char Q_DYN_PARAMS_LIST[] =
    "SELECT id, comment, created_by_person_id, created_at, active FROM risk_index_params ORDER BY id";
const char Q_DYN_PARAMS_NEXT[] = "SELECT coalesce(max(id), 0) + 1 FROM risk_index_params";
const char Q_DYN_PARAMS_INSERT[] =
    "INSERT INTO risk_index_params (id, doc, comment, created_by_person_id, created_at, active) "
    "VALUES ($1, $2, $3, $4, $5, $6)";
const char Q_DYN_PARAMS_OFF[] = "UPDATE risk_index_params SET active = 0 WHERE active = 1 RETURNING id";
