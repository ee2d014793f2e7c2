"""The pipeline, step by step: where an emailed question goes, and which code does it.

    IMAP folder
        |  1. poll       workers.tasks.poll_mailbox  -> consultant.intake.poller
        v               (new UIDs only, BODY.PEEK[], one row per Message-ID)
    inbound_messages (raw bytes, unchanged)
        |  2. process    workers.tasks.process_message -> consultant.drafting.services
        |                parse (consultant.parsing), extract (consultant.extraction),
        v                look up (consultant.codes), render (templates/replies/)
    drafts: pending_review
        |  3. review     caseconsultant review ... -> consultant.review.services
        v                (approve commits, then enqueues the send; or reject)
    drafts: approved -> sending
        |  4. send       workers.tasks.send_reply -> consultant.delivery.services (SMTP)
        v
    drafts: sent
        |  5. flag       workers.tasks.flag_answered (\\Answered on the question)

Every step after the first is a Celery task enqueued after the commit of the step
before it; ``workers.tasks.recover_stuck`` re-enqueues a step whose task was lost.
"""

STEPS = ("poll_mailbox", "process_message", "review", "send_reply", "flag_answered")
