"""Session-state keys shared by the Streamlit modules (``lib/ui/``).

Plain Python (no streamlit), so that each ui module reads them without importing another.
"""

USER_KEY = "_passerelles_user"  # the logged-in user's name (server side: a browser cannot set it)
ACCESS_KEY = "_passerelles_access"  # this run's Access, set by page_setup
LOGOUT_KEY = "_passerelles_deconnexion"  # « Se déconnecter » pressed: the session ends at the start of the next run
VIEW_AS_KEY = "voir_comme"  # open access only: the role the demo is shown as (widget)
VIEW_AS_KEPT = "_voir_comme"  # the same, kept across pages (Streamlit forgets a widget's value on another page)
VIEW_AS_PARAM = "role"  # ... and in the URL, so that a reload (a new session) keeps it
DATASET_KEY = "_passerelles_jeu"  # the id of the data set open in this session (lib/datasets_registry.py)
DATASET_WIDGET_KEY = "jeu_choisi"  # the sidebar's « Jeu de données » (an account given several)
