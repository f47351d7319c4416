"""IVR flow engine: graph format and validation, interpreter and simulator, live runner."""

from centrex.apps.ivr.engine import Done, Hangup, Simulation, Step, Transfer, execute, simulate
from centrex.apps.ivr.runner import FlowRunner, TransferHandler
from centrex.provisioning.flow_graph import (
    Flow,
    FlowInvalid,
    FlowIssue,
    PromptRef,
    TransferTarget,
    check_flow,
    parse_flow,
)

__all__ = [
    "Done",
    "Flow",
    "FlowInvalid",
    "FlowIssue",
    "FlowRunner",
    "Hangup",
    "PromptRef",
    "Simulation",
    "Step",
    "Transfer",
    "TransferHandler",
    "TransferTarget",
    "check_flow",
    "execute",
    "parse_flow",
    "simulate",
]
