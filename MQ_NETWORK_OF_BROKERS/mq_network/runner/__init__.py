"""The rule's run: an AWS Config event checked (events), gathering wired to the decision
(judging), and the one structured record each invocation leaves (run_record)."""
