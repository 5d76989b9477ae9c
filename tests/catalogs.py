"""Small catalogs for scripted conversations: phones, furniture and movies, with facets spread
so that the policy has something to ask about."""

PHONES = [
    {"id": "p1", "name": "Samsung Galaxy S9 smartphone, 64GB", "brand": "Samsung", "price": 499,
     "category": "Cell Phones", "colour": "Black", "rating": 4.5},
    {"id": "p2", "name": "Samsung Galaxy A10 smartphone, 32GB", "brand": "Samsung", "price": 179,
     "category": "Cell Phones", "colour": "Red", "rating": 3.9},
    {"id": "p3", "name": "Apple iPhone 6 Plus 64GB", "brand": "Apple", "price": 399,
     "category": "Cell Phones", "colour": "Silver", "rating": 4.6},
    {"id": "p4", "name": "Apple iPhone SE 32GB", "brand": "Apple", "price": 249,
     "category": "Cell Phones", "colour": "Red", "rating": 4.2},
    {"id": "p5", "name": "Nokia 3310 classic phone", "brand": "Nokia", "price": 59,
     "category": "Cell Phones", "colour": "Blue", "rating": 3.8},
    {"id": "p6", "name": "Nokia 6.1 smartphone with contract plan", "brand": "Nokia", "price": 219,
     "category": "Cell Phones", "colour": "Black", "rating": 4.0},
    {"id": "p7", "name": "Motorola Moto G6 smartphone", "brand": "Motorola", "price": 189,
     "category": "Cell Phones", "colour": "Black", "rating": 4.1},
    {"id": "p8", "name": "Motorola Moto E5 prepaid phone", "brand": "Motorola", "price": 99,
     "category": "Cell Phones", "colour": "Blue", "rating": 3.7},
    {"id": "p9", "name": "Google Pixel 3 smartphone", "brand": "Google", "price": 649,
     "category": "Cell Phones", "colour": "White", "rating": 4.4},
    {"id": "p10", "name": "OtterBox rugged case for iPhone", "brand": "OtterBox", "price": 39,
     "category": "Cases", "colour": "Black", "rating": 4.7},
    {"id": "p11", "name": "Samsung phone case, slim", "brand": "Samsung", "price": 19,
     "category": "Cases", "colour": "Red", "rating": 4.0},
    {"id": "p12", "name": "Apple phone charger cable", "brand": "Apple", "price": 25,
     "category": "Chargers", "colour": "White", "rating": 4.3},
]  # fmt: skip

FURNITURE = [
    {"id": "f1", "name": "MALM bed frame", "category": "Beds", "price": 799,
     "designer": "Ehlén Johansson", "description": "Bed frame, white, 160x200 cm"},
    {"id": "f2", "name": "HEMNES bed frame", "category": "Beds", "price": 1195,
     "designer": "Carina Bengs", "description": "Bed frame, black-brown, 140x200 cm"},
    {"id": "f3", "name": "POÄNG armchair", "category": "Chairs", "price": 449,
     "designer": "Noboru Nakamura", "description": "Armchair, birch veneer, comfortable"},
    {"id": "f4", "name": "EKEDALEN chair", "category": "Chairs", "price": 195,
     "designer": "Ehlén Johansson", "description": "Dining chair, dark brown wood"},
    {"id": "f5", "name": "KIVIK sofa", "category": "Sofas", "price": 2495,
     "designer": "Ola Wihlborg", "description": "Three-seat sofa, grey fabric"},
    {"id": "f6", "name": "KLIPPAN sofa", "category": "Sofas", "price": 995,
     "designer": "IKEA of Sweden", "description": "Two-seat sofa, red cover"},
    {"id": "f7", "name": "PAX wardrobe", "category": "Wardrobes", "price": 1350,
     "designer": "IKEA of Sweden", "description": "Wardrobe, white, 100x60x201 cm"},
    {"id": "f8", "name": "BRIMNES wardrobe", "category": "Wardrobes", "price": 650,
     "designer": "K Hagberg/M Hagberg", "description": "Wardrobe with 3 doors, white"},
    {"id": "f9", "name": "BILLY bookcase", "category": "Bookcases", "price": 299,
     "designer": "Gillis Lundgren", "description": "Bookcase, white, 80x28x202 cm"},
    {"id": "f10", "name": "LACK coffee table", "category": "Tables", "price": 69,
     "designer": "IKEA of Sweden", "description": "Coffee table, black-brown"},
]  # fmt: skip

MOVIES = {
    "m1": {"name": "The Babadook (2014)", "genre": ["horror", "drama"],
           "plot": "A mother and son are haunted by a sinister presence.",
           "director": ["Jennifer Kent"], "star": ["Essie Davis"]},
    "m2": {"name": "The Shining (1980)", "genre": ["horror", "drama"],
           "plot": "A family heads to an isolated hotel where a sinister presence drives the "
                   "father to violence.", "director": ["Stanley Kubrick"],
           "star": ["Jack Nicholson"]},
    "m3": {"name": "It Follows (2014)", "genre": ["horror", "mystery"],
           "plot": "A young woman is followed by an unknown supernatural force.",
           "director": ["David Robert Mitchell"], "star": ["Maika Monroe"]},
    "m4": {"name": "It (2017)", "genre": ["horror"],
           "plot": "Children are terrorized by a shapeshifting clown.",
           "director": ["Andy Muschietti"], "star": ["Bill Skarsgard"]},
    "m5": {"name": "Super Troopers (2001)", "genre": ["comedy", "crime"],
           "plot": "Five Vermont state troopers try to save their jobs with pranks.",
           "director": ["Jay Chandrasekhar"], "star": ["Jay Chandrasekhar"]},
    "m6": {"name": "Step Brothers (2008)", "genre": ["comedy"],
           "plot": "Two spoiled grown men become stepbrothers.",
           "director": ["Adam McKay"], "star": ["Will Ferrell", "John C. Reilly"]},
    "m7": {"name": "Anchorman: The Legend of Ron Burgundy (2004)", "genre": ["comedy"],
           "plot": "A 1970s news anchor faces a new female colleague.",
           "director": ["Adam McKay"], "star": ["Will Ferrell"]},
    "m8": {"name": "Superbad (2007)", "genre": ["comedy"],
           "plot": "Two co-dependent high school seniors plan a party.",
           "director": ["Greg Mottola"], "star": ["Jonah Hill"]},
    "m9": {"name": "The Notebook (2004)", "genre": ["romance", "drama"],
           "plot": "A poor young man falls in love with a rich young woman.",
           "director": ["Nick Cassavetes"], "star": ["Ryan Gosling"]},
    "m10": {"name": "La La Land (2016)", "genre": ["romance", "musical", "comedy"],
            "plot": "A jazz pianist falls for an aspiring actress in Los Angeles.",
            "director": ["Damien Chazelle"], "star": ["Ryan Gosling", "Emma Stone"]},
    "m11": {"name": "Mad Max: Fury Road (2015)", "genre": ["action", "adventure"],
            "plot": "In a post-apocalyptic wasteland, a woman rebels against a tyrant.",
            "director": ["George Miller"], "star": ["Tom Hardy"]},
    "m12": {"name": "Die Hard (1988)", "genre": ["action", "thriller"],
            "plot": "A New York cop takes on terrorists in a Los Angeles skyscraper.",
            "director": ["John McTiernan"], "star": ["Bruce Willis"]},
}  # fmt: skip

# Who mentioned what together: Super Troopers fans also mention Superbad and Step Brothers.
MOVIE_SESSIONS = [
    ["m5", "m8", "m6"], ["m5", "m8"], ["m5", "m6"], ["m1", "m3", "m2"], ["m1", "m3"],
    ["m9", "m10"], ["m11", "m12"], ["m6", "m7"], ["m6", "m7", "m8"],
]  # fmt: skip

# Heaters, desks and notebooks: a situation ("it's freezing in my study") against three kinds.
HOME = [
    {"id": str(n), "name": name, "brand": brand, "price": price, "colour": colour}
    for n, (name, brand, price, colour) in enumerate([
        ("Oil filled radiator heater", "Warmco", 80, "white"),
        ("Ceramic fan heater", "Warmco", 40, "black"),
        ("Quartz room heater", "Heatly", 35, "grey"),
        ("Oak writing desk", "Deskly", 150, "white"),
        ("Corner computer desk", "Deskly", 120, "black"),
        ("Standing desk frame", "Deskly", 300, "grey"),
        ("Spiral notebook A5", "Papier", 3, "white"),
        ("Hardcover notebook", "Papier", 6, "black"),
        ("Dotted notebook", "Papier", 5, "grey"),
    ])
]  # fmt: skip
