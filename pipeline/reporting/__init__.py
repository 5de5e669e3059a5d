"""Step `report`: rank one experiment's architectures (ranking, statistics), draw its figures and
write the document; `experiments` ranks across DVC experiments for `seqpipe leaderboard`."""
