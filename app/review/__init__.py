"""The leader's review (审核) of a submitted self-check: approve (通过) or return (退回) with comments."""
