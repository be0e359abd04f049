"""Understanding what the user just said: the kind of turn, facts they told, mistakes to recast."""
