"""People of the fictional Tidewater engineering team: slug -> (name, email)."""

USERS: dict[str, tuple[str, str]] = {
    "amara": ("Amara Okafor", "amara.okafor@tidewater.example"),
    "lena": ("Lena Fischer", "lena.fischer@tidewater.example"),
    "noa": ("Noa Levi", "noa.levi@tidewater.example"),
    "omar": ("Omar Haddad", "omar.haddad@tidewater.example"),
    "priya": ("Priya Raman", "priya.raman@tidewater.example"),
    "tomas": ("Tomás Ferreira", "tomas.ferreira@tidewater.example"),
    "yuki": ("Yuki Tanaka", "yuki.tanaka@tidewater.example"),
}
