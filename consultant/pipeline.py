"""The pipeline, step by step: where an emailed question goes, and which code does it.

    IMAP folder
        |  1. poll       workers.tasks.poll_mailbox (beat) or ``caseconsultant idle`` (IDLE)
        |                -> consultant.intake.poller: new UIDs only, BODY.PEEK[], one row per
        v                Message-ID, a failed store quarantined and the fetch going on
    inbound_messages (raw bytes, unchanged)
        |  2. process    workers.tasks.process_message -> consultant.drafting.services
        |                parse (consultant.parsing), classify and thread (consultant.intake),
        |                extract (consultant.extraction), look up by the date of service
        |                and check NCCI edits (consultant.codes), render
        v                (templates/replies/)
    drafts: pending_review            (or the message is ignored, held or quarantined)
        |  3. review     ``caseconsultant review`` or the web queue -> consultant.review
        v                (approve commits, then enqueues the send; or reject)
    drafts: approved -> sending
        |  4. send       workers.tasks.send_reply -> consultant.delivery.services: an outbox
        v                row recorded around the SMTP transaction, retries with backoff
    drafts: sent
        |  5. flag       workers.tasks.flag_answered (\\Answered on the question) and
                         workers.tasks.append_sent (a copy in the Sent folder, if configured)

Every step after the first is a Celery task, enqueued after the commit of the step
before it. ``workers.tasks.recover_stuck`` re-drives a step whose task was lost.
"""

STEPS = ("poll_mailbox", "process_message", "review", "send_reply", "flag_answered",
         "append_sent")
