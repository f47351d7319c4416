"""Contact center: outbound campaigns and the dialer (issue 15).

Public face so far:
- `pacing`: `make_pacer(method, *, drop_target, ratio, max_ratio) -> Pacer`, `Snapshot`,
  `Outcome`, `PACERS` (the registry of dial methods), pure;
- `simulation`: `simulate_day`, `compare_methods`, `DayProfile`, `ObservedDay`, `DayResult`,
  pure and seeded, for tests, benchmarks and `centrex campaign simulate`.
- `caller_id`: `local_caller_id`, `caller_id_for` (local presence), pure;
- `calling_window`: `parse_window`, `parse_days`, `is_open`, `next_opening`, `closed_reason`,
  `never_opens_reason`, `callee_zones` (the callee's local time from the number), pure;
- `country_rules`: legal calling hours and public holidays per callee country, pure;
- `occupancy`: `AgentTime` (agent-seconds logged in and busy, pure), `add_agent_time`;
- data side (through `TenantScope`): `campaigns` (create/update/status/focus,
  `caller_id_of_call`), `lead_import.import_leads` (one file, one batch), `leads` (search,
  rollback, export rows), `dnc` (`blocked_numbers` at import, `is_blocked` at dial time,
  national lists included), `national_dnc` (the provider's lists), `dispositions`,
  `stats.campaign_stats`, `demo.seed_demo_campaign`.
- the dialer in `serve`: `dialer.Dialer`, `hopper`, `handoff` (answering-machine detection
  with `media/amd.py`), `dialer_callbacks`.
"""
