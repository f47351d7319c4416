"""Centrex media applications (see shared/DESIGN.md §3): voicemail, IVR flows, echo test,
speaking clock, music on hold.

Every app is driven through `centrex.apps.channel.AppChannel` (answer, play, record,
collect_digits, hangup), which `centrex.media.channel.Channel` satisfies as it is; apps never see
SIP. Dependencies are passed in by `server.py`; nothing here is a module-level singleton.

What the call layer calls
-------------------------
- Voicemail, caller side: `VoicemailApp(services).leave_message(channel, tenant_id=...,
  extension="101", caller="+4179...", caller_name="", reason=GreetingKind.NO_ANSWER)`
  (`reason` picks the busy / no-answer / unavailable greeting).
- Voicemail, owner menu (feature code): `VoicemailMenu(services).run(channel, tenant_id=...,
  extension="101" or None)`.
- `VoicemailServices(database, store=MediaStore(settings.data_dir), prompts=PromptLibrary(
  settings.data_dir / "prompts"), mailer=Mailer(database, smtp_url=settings.smtp_url,
  outbox_dir=settings.data_dir / "outbox", clock=clock), mwi=<call layer's MwiHook>, clock,
  work_dir=settings.data_dir / "tmp")`; run `OutboxWorker(mailer).run(stop_event)` as a task.
- MWI: implement `centrex.apps.mwi.MwiHook.mailbox_changed(tenant_id, extension, body)` (send
  NOTIFY, Event: message-summary, Content-Type: application/simple-message-summary); on
  SUBSCRIBE get the body from `centrex.provisioning.voicemail.mwi_body(scope, extension)`.
- IVR: `flow = centrex.provisioning.flows.flow_for_number(scope, e164)` (or
  `flow_for_extension`), then `FlowRunner(prompts, transfer_handler).run(channel,
  parse_flow(flow.graph), now=clock.utcnow(), language=tenant.language, media=await
  flows.media_paths(scope, store, flow))`; the handler receives each `TransferTarget`.
- Echo test: `EchoTest(prompts, work_dir).run(channel, language=...)`; speaking clock:
  `SpeakingClock(prompts).run(channel, now=..., timezone=tenant.timezone, language=...)`.
- Recordings: `centrex.provisioning.recordings.register_recording(scope, store, call_id=...,
  path=..., now=..., layout=..., party=..., cdr_id=...)` when a recorded call ends.
- Music on hold: `centrex.apps.moh.moh_file(scope, store, data_dir)` → a WAV path.
"""
