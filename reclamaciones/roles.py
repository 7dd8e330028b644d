"""Staff roles are Django groups (created by migration 0003)."""

AGENT = "agent"
SUPERVISOR = "supervisor"
COUNCIL = "council"
AUDITOR = "auditor"
ALL_ROLES = (AGENT, SUPERVISOR, COUNCIL, AUDITOR)
# Who reads the improvement council's dashboard (/consejo/).
COUNCIL_READERS = frozenset({COUNCIL, SUPERVISOR, AUDITOR})
