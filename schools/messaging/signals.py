"""Signals for other apps (e.g. `notify`), sent after the write has committed, inside the
school's schema. Receivers get ids, never the text of a message.

- message_sent(school, conversation_id, message_id, author_id, recipient_ids)
- announcement_published(school, announcement_id, author_id, recipient_ids)
- abuse_reported(school, report_id, message_id, reporter_id, admin_ids)

The administration's notice of an abuse report does not wait for a receiver: services.report_abuse
writes it into notify's outbox inside the report's own transaction (a report never exists without
its notices); `abuse_reported` is for anything else that wants to know.
"""

from django.dispatch import Signal

message_sent = Signal()
announcement_published = Signal()
abuse_reported = Signal()
