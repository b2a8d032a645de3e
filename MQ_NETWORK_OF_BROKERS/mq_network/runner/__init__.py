"""The rule's run: one Lambda invocation, event in, evaluations sent (invocation), the AWS Config
event checked (events), gathering wired to the decision (judging), and the one structured record
each invocation leaves (run_record)."""
