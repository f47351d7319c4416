"""Contact center: outbound campaigns and the dialer (issue 15).

Public face so far:
- `pacing`: `make_pacer(method, *, drop_target, ratio, max_ratio) -> Pacer`, `Snapshot`,
  `Outcome`, `PACERS` (the registry of dial methods), pure;
- `simulation`: `simulate_day`, `compare_methods`, `DayProfile`, `ObservedDay`, `DayResult`,
  pure and seeded, for tests, benchmarks and `centrex campaign simulate`.
- `caller_id`: `local_caller_id`, `caller_id_for` (local presence), pure;
- `calling_window`: `parse_window`, `is_open`, `next_opening`, `callee_zones` (the callee's
  local time from the number), pure;
- data side (through `TenantScope`): `campaigns` (create/update/status/focus,
  `caller_id_of_call`), `lead_import.import_leads` (one file, one batch), `leads` (search,
  rollback, export rows), `dnc` (`blocked_numbers` at import, `is_blocked` at dial time),
  `stats.campaign_stats`, `demo.seed_demo_campaign`.
"""
