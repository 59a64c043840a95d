"""ProxyLM-style prediction (Anugraha et al., arXiv 2406.09334): learn a regressor from past
experiment records that maps cheap proxy models' scores (and features of the task, the data
and the language) to the score of an expensive model. Pure: DataFrames in, results out."""
