"""Time: working days, reporting periods, the escalation planner, the outbox and the clock."""
