"""Signals for other apps (e.g. `notify`), sent after the write has committed, inside the
school's schema. Receivers get ids, never the text of a message.

- message_sent(school, conversation_id, message_id, author_id, recipient_ids)
- announcement_published(school, announcement_id, author_id, recipient_ids)
- abuse_reported(school, report_id, message_id, reporter_id, admin_ids)
"""

from django.dispatch import Signal

message_sent = Signal()
announcement_published = Signal()
abuse_reported = Signal()
