"""The school's LDAP directory: what a pupil's entry holds (:mod:`.entries`), how entkiosk
talks to the server (:mod:`.client`), and its bind password (:mod:`.password`). The service
decides *when* (its outbox and worker, :mod:`entkiosk.service.directory`); nothing here
touches the database. The modules are imported where used: ldap3 loads only with a
directory configured."""
