"""Production monitoring: data drift against the training set, and prediction quality once labels arrive.

`drift` compares current data (the service's inference log or a batch CSV) with the training split,
`quality` joins late labels to the inference log and rescores the served predictions, and `samples` writes
current data of the training distribution, shifted or not, so the checks can be seen working.
"""
